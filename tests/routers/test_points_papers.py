"""The points papers a secretary hands upward: the village's monthly ledger, the ranking, the
star table, the 回炉 list and the reward split; each read back as Excel shows it, and each
download in the audit log."""

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from app.china_time import to_china, utcnow
from app.models.points import LedgerEntry
from tests.helpers.factories import World
from tests.helpers.papers import read_paper
from tests.helpers.points import award, make_rule


def _month() -> str:
    return to_china(utcnow()).strftime("%Y-%m")


def _words(period: str) -> str:
    return f"{period[:4]}年{int(period[5:])}月"


async def _exports(client: httpx.AsyncClient, world: World, who: str) -> list[dict]:
    r = await client.get(
        "/api/v1/admin/audit", params={"action": "report.export"}, headers=world.auth(who)
    )
    return list(r.json()["items"])


async def test_the_village_ledger_balances_month_by_month(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    await make_rule(client, world, points=10)
    await make_rule(client, world, code="litter", title="乱扔垃圾", points=-3)
    first = (await award(client, world)).json()
    # The first award was posted last month: it is the opening balance of this one.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(LedgerEntry)
            .where(col(LedgerEntry.id) == first["id"])
            .values(posted_at=utcnow() - timedelta(days=40))
        )
    await award(client, world)
    await award(client, world)
    await award(client, world, code="litter")
    period = _month()
    params = {"period": period, "village_id": world.ids["v1"]}
    r = await client.get(
        "/api/v1/admin/points/ledger", params=params, headers=world.auth("v1_admin")
    )
    assert r.status_code == 200, r.text
    report = r.json()
    [line] = report["items"]
    assert (line["opening"], line["earned"], line["spent"], line["closing"]) == (10, 20, 3, 27)
    assert line["name"].startswith("王一") and (report["earned"], report["spent"]) == (20, 3)
    # A village admin leaves out village_id: their own village.
    own = await client.get(
        "/api/v1/admin/points/ledger", params={"period": period}, headers=world.auth("v1_admin")
    )
    assert own.json()["items"] == report["items"]
    elsewhere = await client.get(
        "/api/v1/admin/points/ledger", params=params, headers=world.auth("v2_admin")
    )
    assert elsewhere.status_code == 404
    ambiguous = await client.get(
        "/api/v1/admin/points/ledger", params={"period": period}, headers=world.auth("town_a_admin")
    )
    assert ambiguous.status_code == 422 and ambiguous.json()["code"] == "scope.required"

    paper = read_paper(
        await client.get(
            "/api/v1/admin/points/ledger",
            params={**params, "format": "xlsx"},
            headers=world.auth("v1_admin"),
        )
    )
    assert paper.file_name == f"一村{_words(period)}家庭积分台账.xlsx"
    assert paper.headers == ["序号", "户 / 姓名", "期初", "本月获得", "本月扣减", "期末"]
    assert paper.rows[0][2:] == [10, 20, 3, 27]
    details = paper.sheet_named("明细")
    assert sorted(details.column("积分")) == [-3, 10, 10]  # last month's award is not listed
    assert details.column("余额")[-1] == 27
    [taken] = await _exports(client, world, "v1_admin")
    assert taken["after"]["paper"] == paper.file_name.removesuffix(".xlsx")
    assert taken["after"]["rows"] == 4 and taken["actor_account_id"] is not None


async def test_the_ranking_paper_is_for_admins(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world, points=10)
    second = await client.post(
        "/api/v1/admin/households",
        json={"village_id": world.ids["v1"], "head_name": "张三"},
        headers=world.auth("v1_admin"),
    )
    await award(client, world)
    await award(client, world)
    body = {"rule_code": "clean", "account_owner": {"household_id": second.json()["id"]}}
    await client.post(
        "/api/v1/admin/points/entries", json={**body, "note": ""}, headers=world.auth("v1_admin")
    )
    params = {"village_id": world.ids["v1"], "period": "month", "format": "xlsx"}
    paper = read_paper(
        await client.get(
            "/api/v1/points/leaderboard", params=params, headers=world.auth("v1_admin")
        )
    )
    assert paper.file_name == "一村家庭积分本月排名.xlsx"
    assert paper.rows == [[1, "王一", 20], [2, "张三", 10]]
    villager = await client.get(
        "/api/v1/points/leaderboard", params=params, headers=world.auth("v1_villager")
    )
    assert villager.status_code == 403 and villager.json()["code"] == "points.export_forbidden"
    assert len(await _exports(client, world, "v1_admin")) == 1  # the refused one took nothing


async def test_star_table_re_education_list_and_reward_split(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world, code="lecture", title="讲党课", ledger="member", points=45)
    members = {}
    for index, name in enumerate(("甲", "乙", "丙")):
        r = await client.post(
            "/api/v1/admin/people",
            json={
                "name": name,
                "phone": f"1770000001{index}",
                "village_id": world.ids["v1"],
                "branch_id": world.ids["b1"],
                "is_party_member": True,
            },
            headers=world.auth("v1_admin"),
        )
        members[name] = r.json()["id"]
    for person, times in ((members["甲"], 2), (members["乙"], 1)):
        for _ in range(times):
            body = {"rule_code": "lecture", "account_owner": {"person_id": person}, "note": ""}
            await client.post(
                "/api/v1/admin/points/entries", json=body, headers=world.auth("v1_admin")
            )
    year = to_china(utcnow()).year
    table = read_paper(
        await client.get(
            "/api/v1/admin/stars/members",
            params={"year": year, "branch_id": world.ids["b1"], "format": "xlsx"},
            headers=world.auth("v1_admin"),
        )
    )
    assert table.file_name == f"一村党支部{year}年党员星级评定表.xlsx"
    stars = dict(zip(table.column("姓名"), table.column("星级"), strict=True))
    assert (stars["甲"], stars["乙"], stars["丙"]) == ("★★★★", "★★", "★")
    assert set(table.column("党支部")) == {"一村党支部"}
    assert "40 分" in table.lines[0]
    low = read_paper(
        await client.get(
            "/api/v1/admin/stars/re-education",
            params={"year": year, "format": "xlsx"},
            headers=world.auth("v1_admin"),
        )
    )
    assert low.file_name == f"{year}年四星以下党员（回炉教育）名单.xlsx"
    assert sorted(low.column("姓名")) >= ["丙", "乙"] and "甲" not in low.column("姓名")

    query = {"year": year, "total_fen": 100_001, "top_n": 5}
    split = await client.get(
        "/api/v1/admin/stars/rewards", params=query, headers=world.auth("v1_admin")
    )
    assert split.status_code == 200, split.text
    assert [(i["name"], i["share_fen"]) for i in split.json()["items"]] == [("甲", 100_001)]
    sheet = read_paper(
        await client.get(
            "/api/v1/admin/stars/rewards",
            params={**query, "format": "xlsx"},
            headers=world.auth("v1_admin"),
        )
    )
    assert sheet.file_name == f"{year}年党员奖励分配表.xlsx"
    assert sheet.rows == [[1, "甲", 90, "★★★★", 1000.01, None]]
    assert sheet.headers[-1] == "领取人签字" and "1000.01 元" in sheet.lines[0]
    papers = [e["after"]["paper"] for e in await _exports(client, world, "v1_admin")]
    assert sorted(papers) == sorted(
        [
            f"一村党支部{year}年党员星级评定表",
            f"{year}年四星以下党员（回炉教育）名单",
            f"{year}年党员奖励分配表",
        ]
    )
    bad = await client.get(
        "/api/v1/admin/stars/rewards", params={"year": year}, headers=world.auth("v1_admin")
    )
    assert bad.status_code == 422 and "fund_fen 与 total_fen" in bad.json()["detail"]

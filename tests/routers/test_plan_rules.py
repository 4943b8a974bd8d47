"""The town's plan, line by line, where the system used to encode it otherwise: the contest's x
winners, its prize to the first and its hard indicator; the star reward pool as a share of the
fund; the 回炉 threshold as a setting; disclosures on time within their month."""

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from app.china_time import to_china, utcnow
from app.models.roster import Branch
from app.services.contest import metrics
from app.services.roster.import_rows import COLUMNS
from tests.helpers.cooperatives import income
from tests.helpers.events import member
from tests.helpers.factories import Login, World
from tests.helpers.points import make_rule
from tests.helpers.roster_files import roster_xlsx

YEAR = to_china(utcnow()).year


async def test_a_branch_failing_the_hard_indicator_is_ranked_but_cannot_win(
    client: httpx.AsyncClient, world: World
) -> None:
    made = await client.post(
        "/api/v1/admin/contests",
        json={
            "year": YEAR,
            "title": "最强党支部",
            "winners": 1,
            "prize_fen": 10_000,
            "criteria": [
                {"code": "onsite", "title": "现场评审", "weight": 70, "source": "judged"},
                {
                    "code": "coops",
                    "title": "支部领办合作社",
                    "weight": 30,
                    "source": "computed",
                    "metric": "collective_income",
                    "hard": True,
                },
            ],
        },
        headers=world.auth("town_a_admin"),
    )
    assert made.status_code == 201, made.text
    assert (made.json()["winners"], made.json()["prize_rule"]) == (1, "first")
    cid = made.json()["id"]
    await client.post(
        f"/api/v1/admin/contests/{cid}/judges",
        json={"person_ids": [world.ids["v1_admin"]]},
        headers=world.auth("town_a_admin"),
    )
    for branch, score in (("b1", 100), ("b2", 50)):
        r = await client.post(
            f"/api/v1/contests/{cid}/scores",
            json={"branch_id": world.ids[branch], "scores": {"onsite": score}},
            headers=world.auth("v1_admin"),
        )
        assert r.status_code == 201, r.text
    await income(client, world, "b2", "v2_villager", 100)
    ranking = await client.get(
        f"/api/v1/admin/contests/{cid}/ranking", headers=world.auth("town_a_admin")
    )
    lines = {line["branch_id"]: line for line in ranking.json()["items"]}
    first, second = lines[world.ids["b1"]], lines[world.ids["b2"]]
    assert (first["rank"], first["total"], first["eligible"]) == (1, 70.0, False)
    assert "没有支部领办合作社" in first["ineligible_reason"]
    assert (second["rank"], second["eligible"], second["winner"]) == (2, True, True)
    closed = await client.post(
        f"/api/v1/admin/contests/{cid}/close", headers=world.auth("town_a_admin")
    )
    assert closed.status_code == 200, closed.text
    frozen = await client.get(
        f"/api/v1/admin/contests/{cid}/ranking", headers=world.auth("town_a_admin")
    )
    prizes = {line["branch_id"]: line["prize_fen"] for line in frozen.json()["items"]}
    assert prizes == {world.ids["b1"]: None, world.ids["b2"]: 10_000}


async def test_a_disclosure_counts_only_within_its_own_month(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    now = to_china(utcnow())
    last = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    for admin, village, period in (
        ("v1_admin", "v1", now.strftime("%Y-%m")),  # this month's, in this month
        ("v2_admin", "v2", last),  # last month's, one month late
    ):
        posted = await client.post(
            "/api/v1/posts",
            json={
                "title": "党务公开",
                "body": "党务公开。",
                "category": "disclosure_party",
                "village_id": world.ids[village],
                "disclosure_period": period,
            },
            headers=world.auth(admin),
        )
        assert posted.status_code == 201, posted.text
    async with app.state.sessionmaker() as session:
        branches = (
            await session.exec(select(Branch).where(col(Branch.town_id) == world.ids["town_a"]))
        ).all()
        raw = await metrics.disclosures_on_time(session, branches, world.ids["town_a"], now.year)
    assert raw[world.ids["b1"]] > 0
    # Last month's, published this month, is late (unless last month was in another year).
    assert raw[world.ids["b2"]] == 0


async def test_the_reward_pool_is_a_share_of_the_fund(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=90)
    alice = await member(client, world, login, "党员甲")
    await client.post(
        "/api/v1/admin/points/entries",
        json={"rule_code": "study", "account_owner": {"person_id": alice["person_id"]}},
        headers=world.auth("v1_admin"),
    )
    third = await client.get(
        "/api/v1/admin/stars/rewards",
        params={"year": YEAR, "fund_fen": 100_000},
        headers=world.auth("town_a_admin"),
    )
    assert third.status_code == 200, third.text
    assert third.json()["pool_fen"] == 33_333  # one third, rounded down to the fen
    assert [i["share_fen"] for i in third.json()["items"]] == [33_333]
    quarter = await client.get(
        "/api/v1/admin/stars/rewards",
        params={"year": YEAR, "fund_fen": 100_001, "share": "0.25"},
        headers=world.auth("town_a_admin"),
    )
    assert quarter.json()["pool_fen"] == 25_000
    given = await client.get(
        "/api/v1/admin/stars/rewards",
        params={"year": YEAR, "total_fen": 5_000},
        headers=world.auth("town_a_admin"),
    )
    assert given.json()["pool_fen"] == 5_000
    neither = await client.get(
        "/api/v1/admin/stars/rewards", params={"year": YEAR}, headers=world.auth("town_a_admin")
    )
    assert neither.status_code == 422


async def test_the_reeducation_threshold_is_the_towns_reading_of_the_plan(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await client.patch(
        f"/api/v1/admin/towns/{world.ids['town_a']}",
        json={"member_star_points": [1, 2, 3, 4]},
        headers=world.auth("town_a_admin"),
    )
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    four = await member(client, world, login, "四星党员")
    await client.post(
        "/api/v1/admin/points/entries",
        json={"rule_code": "study", "account_owner": {"person_id": four["person_id"]}},
        headers=world.auth("v1_admin"),
    )

    async def listed() -> set[int]:
        r = await client.get(
            "/api/v1/admin/stars/re-education",
            params={"year": YEAR},
            headers=world.auth("v1_admin"),
        )
        assert r.status_code == 200, r.text
        return {m["person_id"] for m in r.json()["items"]}

    assert four["person_id"] not in await listed()  # 四星级以下: 1–3 stars
    inclusive = await client.patch(
        f"/api/v1/admin/towns/{world.ids['town_a']}",
        json={"reeducation_below_stars": 5},
        headers=world.auth("town_a_admin"),
    )
    assert inclusive.status_code == 200 and inclusive.json()["reeducation_below_stars"] == 5
    assert four["person_id"] in await listed()


async def test_the_plans_service_kinds_are_asked_for_and_the_old_ones_kept(
    client: httpx.AsyncClient, world: World
) -> None:
    for kind in ("medical_insurance", "rural_economy", "party_affairs", "errand"):
        r = await client.post(
            "/api/v1/service-requests",
            json={"kind": kind, "title": "请帮忙办理", "description": "家里老人行动不便"},
            headers=world.auth("v1_villager"),
        )
        assert r.status_code == 201, r.text
        assert r.json()["kind"] == kind


async def test_a_villager_reads_the_rules_that_score_the_village(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world, code="clean", title="环境清扫", points=5, daily_cap=10)
    await make_rule(client, world, code="litter", title="乱扔垃圾", points=-3)
    # Village one weighs 环境清扫 its own way; village two keeps the town's.
    await make_rule(
        client,
        world,
        who="v1_admin",
        code="clean",
        title="环境清扫",
        points=8,
        village_id=world.ids["v1"],
    )
    off = await make_rule(client, world, code="old", title="旧规则", points=1)
    await client.patch(
        f"/api/v1/admin/scoring-rules/{off['id']}",
        json={"enabled": False},
        headers=world.auth("town_a_admin"),
    )
    mine = await client.get("/api/v1/scoring-rules", headers=world.auth("v1_villager"))
    assert mine.status_code == 200, mine.text
    rules = {r["code"]: r for r in mine.json()["items"]}
    assert set(rules) == {"clean", "litter"}
    assert rules["clean"]["points"] == 8 and rules["litter"]["points"] == -3
    theirs = await client.get("/api/v1/scoring-rules", headers=world.auth("v2_villager"))
    assert {r["code"]: r["points"] for r in theirs.json()["items"]}["clean"] == 5
    other = await client.get(
        "/api/v1/scoring-rules",
        params={"village_id": world.ids["v2"]},
        headers=world.auth("v1_villager"),
    )
    assert other.status_code == 404


async def test_the_county_admin_confers_an_honour_in_the_towns_name(
    client: httpx.AsyncClient, world: World
) -> None:
    # The superadmin's account is no villager of any town: the honour is the village's.
    honour = await client.post(
        "/api/v1/admin/honours",
        json={
            "year": YEAR,
            "title": "文明家庭",
            "household_id": world.ids["h1"],
            "citation": "孝老爱亲，邻里和睦。",
        },
        headers=world.auth("superadmin"),
    )
    assert honour.status_code == 201, honour.text
    feed = await client.get(
        "/api/v1/feed", params={"category": "commendation"}, headers=world.auth("v1_villager")
    )
    [post] = [p for p in feed.json()["items"] if p["id"] == honour.json()["post_id"]]
    assert post["publisher"] == "一村村委会" and post["status"] == "published"


async def test_a_town_cadre_on_a_villages_rota_once_assigned_to_it(
    client: httpx.AsyncClient, world: World
) -> None:
    tomorrow = (to_china(utcnow()) + timedelta(days=1)).date().isoformat()
    shift = {
        "village_id": world.ids["v1"],
        "person_id": world.ids["town_a_admin"],
        "date": tomorrow,
        "starts_at": "09:00",
        "ends_at": "12:00",
    }
    before = await client.post(
        "/api/v1/admin/duty-shifts", json=shift, headers=world.auth("v1_admin")
    )
    assert before.status_code == 422 and before.json()["code"] == "duty.person_not_in_village"
    by_village = await client.post(
        f"/api/v1/admin/villages/{world.ids['v1']}/liaisons",
        json={"person_id": world.ids["town_a_admin"]},
        headers=world.auth("v1_admin"),
    )
    assert by_village.status_code == 403  # the town assigns its cadres
    not_cadre = await client.post(
        f"/api/v1/admin/villages/{world.ids['v1']}/liaisons",
        json={"person_id": world.ids["v1_villager"]},
        headers=world.auth("town_a_admin"),
    )
    assert not_cadre.status_code == 422 and not_cadre.json()["code"] == "liaison.not_town_cadre"
    linked = await client.post(
        f"/api/v1/admin/villages/{world.ids['v1']}/liaisons",
        json={"person_id": world.ids["town_a_admin"]},
        headers=world.auth("town_a_admin"),
    )
    assert linked.status_code == 201, linked.text
    group = await client.post(
        "/api/v1/admin/villager-groups",
        json={"village_id": world.ids["v1"], "name": "第三村民小组"},
        headers=world.auth("v1_admin"),
    )
    assert group.status_code == 201, group.text
    on_site = await client.post(
        "/api/v1/admin/duty-shifts",
        json={**shift, "villager_group_id": group.json()["id"]},
        headers=world.auth("v1_admin"),
    )
    assert on_site.status_code == 201, on_site.text
    assert on_site.json()["items"][0]["villager_group_id"] == group.json()["id"]
    elsewhere = await client.post(
        "/api/v1/admin/villager-groups",
        json={"village_id": world.ids["v2"], "name": "第一村民小组"},
        headers=world.auth("v2_admin"),
    )
    wrong_group = await client.post(
        "/api/v1/admin/duty-shifts",
        json={
            **shift,
            "date": tomorrow,
            "starts_at": "14:00",
            "ends_at": "15:00",
            "villager_group_id": elsewhere.json()["id"],
        },
        headers=world.auth("v1_admin"),
    )
    assert wrong_group.status_code == 404


async def test_households_join_their_villager_group_from_the_roster_file(
    client: httpx.AsyncClient, world: World
) -> None:
    group = await client.post(
        "/api/v1/admin/villager-groups",
        json={"village_id": world.ids["v1"], "name": "第三村民小组"},
        headers=world.auth("v1_admin"),
    )
    header = COLUMNS
    row = {
        "姓名": "组员甲",
        "手机号": "13600009999",
        "户号": "G01",
        "户主姓名": "组员甲",
        "与户主关系": "户主",
        "村民小组": "第三村民小组",
    }
    bad = {
        **row,
        "手机号": "13600009998",
        "户号": "G02",
        "户主姓名": "组员乙",
        "姓名": "组员乙",
        "村民小组": "没有这个组",
    }
    data = roster_xlsx([[r.get(h, "") for h in header] for r in (row, bad)])
    refused = await client.post(
        "/api/v1/admin/roster/imports",
        files={"file": ("花名册.xlsx", data)},
        headers=world.auth("v1_admin"),
    )
    assert [e["column"] for e in refused.json()["errors"]] == ["村民小组"]
    data = roster_xlsx([[row.get(h, "") for h in header]])
    applied = await client.post(
        "/api/v1/admin/roster/imports",
        files={"file": ("花名册.xlsx", data)},
        data={"dry_run": "false"},
        headers=world.auth("v1_admin"),
    )
    assert applied.json()["status"] == "applied", applied.text
    homes = await client.get(
        "/api/v1/admin/households", params={"q": "组员甲"}, headers=world.auth("v1_admin")
    )
    [home] = [h for h in homes.json()["items"] if h["number"] == "G01"]
    assert home["villager_group_id"] == group.json()["id"]


async def test_collectives_are_honoured_as_well_as_people(
    client: httpx.AsyncClient, world: World
) -> None:
    group = await client.post(
        "/api/v1/admin/villager-groups",
        json={"village_id": world.ids["v1"], "name": "第三村民小组"},
        headers=world.auth("v1_admin"),
    )
    honoured = {}
    for key, value in (
        ("branch_id", world.ids["b1"]),
        ("grid_id", world.ids["g1"]),
        ("villager_group_id", group.json()["id"]),
        ("village_id", world.ids["v1"]),
    ):
        r = await client.post(
            "/api/v1/admin/honours",
            json={"year": YEAR, "title": "先进集体", key: value, "citation": "成绩突出。"},
            headers=world.auth("v1_admin"),
        )
        assert r.status_code == 201, r.text
        honoured[key] = r.json()["honoured_name"]
    assert honoured == {
        "branch_id": "一村党支部",
        "grid_id": "一网格",
        "villager_group_id": "一村第三村民小组",
        "village_id": "一村",
    }
    theirs = await client.post(
        "/api/v1/admin/honours",
        json={
            "year": YEAR,
            "title": "先进集体",
            "grid_id": world.ids["g2"],
            "citation": "成绩突出。",
        },
        headers=world.auth("v1_admin"),
    )
    assert theirs.status_code == 404
    two = await client.post(
        "/api/v1/admin/honours",
        json={
            "year": YEAR,
            "title": "先进集体",
            "grid_id": world.ids["g1"],
            "branch_id": world.ids["b1"],
            "citation": "成绩突出。",
        },
        headers=world.auth("v1_admin"),
    )
    assert two.status_code == 422


async def test_the_shops_fund_allocated_spent_and_left_against_the_towns_minimum(
    client: httpx.AsyncClient, world: World
) -> None:
    await client.patch(
        f"/api/v1/admin/towns/{world.ids['town_a']}",
        json={"shop_fund_min_fen": 2_000_000},
        headers=world.auth("town_a_admin"),
    )
    given = await client.post(
        "/api/v1/admin/shop/funds",
        json={
            "village_id": world.ids["v1"],
            "year": YEAR,
            "allocated_fen": 1_500_000,
            "source": "村集体经济收益",
        },
        headers=world.auth("v1_admin"),
    )
    assert given.status_code == 201, given.text
    goods = await client.post(
        "/api/v1/admin/shop/goods",
        json={"village_id": world.ids["v1"], "name": "洗衣液", "points": 30, "stock": 0},
        headers=world.auth("v1_admin"),
    )
    bought = await client.post(
        f"/api/v1/admin/shop/goods/{goods.json()['id']}/restock",
        json={"quantity": 10, "cost_yuan": "250.00"},
        headers=world.auth("v1_admin"),
    )
    assert bought.status_code in (200, 201), bought.text
    year = await client.get(
        "/api/v1/admin/shop/funds",
        params={"year": YEAR, "village_id": world.ids["v1"]},
        headers=world.auth("v1_admin"),
    )
    assert year.json() == {
        "village_id": world.ids["v1"],
        "year": YEAR,
        "allocated_fen": 1_500_000,
        "spent_fen": 25_000,
        "left_fen": 1_475_000,
        "minimum_fen": 2_000_000,
        "below_minimum": True,
    }
    month = await client.get(
        "/api/v1/admin/shop/reports",
        params={"period": to_china(utcnow()).strftime("%Y-%m"), "village_id": world.ids["v1"]},
        headers=world.auth("v1_admin"),
    )
    assert (month.json()["allocated_fen"], month.json()["left_fen"]) == (1_500_000, 1_475_000)
    board = await client.get("/api/v1/admin/dashboard", headers=world.auth("town_a_admin"))
    short = {v["village_id"] for v in board.json()["shop_funds_below_minimum"]}
    assert short == {world.ids["v1"], world.ids["v2"]}  # village two gave nothing at all
    await client.post(
        "/api/v1/admin/shop/funds",
        json={
            "village_id": world.ids["v1"],
            "year": YEAR,
            "allocated_fen": 500_000,
            "source": "追加",
        },
        headers=world.auth("v1_admin"),
    )
    board = await client.get("/api/v1/admin/dashboard", headers=world.auth("town_a_admin"))
    assert {v["village_id"] for v in board.json()["shop_funds_below_minimum"]} == {world.ids["v2"]}
    other = await client.post(
        "/api/v1/admin/shop/funds",
        json={"village_id": world.ids["v2"], "year": YEAR, "allocated_fen": 1, "source": "试试"},
        headers=world.auth("v1_admin"),
    )
    assert other.status_code == 404

"""Appeals, leaderboards, member and volunteer stars, the reward split."""

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.china_time import to_china, utcnow
from app.models.points import LedgerEntry
from app.services.points.stars import split_largest_remainder, volunteer_star
from tests.helpers.factories import World
from tests.helpers.points import award, make_rule


async def test_appeal_upheld_reverses_the_entry(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world, code="litter", title="乱扔垃圾", points=-10)
    entry = (await award(client, world, code="litter")).json()
    assert entry["balance_after"] == -10  # penalties may go below zero
    url = f"/api/v1/points/entries/{entry['id']}/appeals"
    filed = await client.post(
        url, json={"reason": "那天我不在家"}, headers=world.auth("v1_villager")
    )
    assert filed.status_code == 201, filed.text
    again = await client.post(
        url, json={"reason": "那天我不在家"}, headers=world.auth("v1_villager")
    )
    assert again.status_code == 200 and again.json()["id"] == filed.json()["id"]
    stranger = await client.post(url, json={"reason": "不是我"}, headers=world.auth("v2_villager"))
    assert stranger.status_code == 404
    queue = (
        await client.get(
            "/api/v1/admin/appeals", params={"status": "open"}, headers=world.auth("v1_admin")
        )
    ).json()["items"]
    assert [a["id"] for a in queue] == [filed.json()["id"]]
    assert (await client.get("/api/v1/admin/appeals", headers=world.auth("v2_admin"))).json()[
        "items"
    ] == []
    decided = await client.post(
        f"/api/v1/admin/appeals/{filed.json()['id']}/decision",
        json={"decision": "uphold", "note": "核实无误"},
        headers=world.auth("v1_admin"),
    )
    assert decided.status_code == 200 and decided.json()["status"] == "upheld"
    twice = await client.post(
        f"/api/v1/admin/appeals/{filed.json()['id']}/decision",
        json={"decision": "reject"},
        headers=world.auth("v1_admin"),
    )
    assert twice.status_code == 409 and twice.json()["code"] == "appeal.already_decided"
    mine = (await client.get("/api/v1/me/points", headers=world.auth("v1_villager"))).json()
    assert mine["balance"] == 0
    reversal, original = mine["items"]
    assert reversal["points"] == 10 and reversal["source_type"] == "reversal"
    assert original["status"] == "reversed"
    assert original["appeal"] == {
        "id": filed.json()["id"],
        "status": "upheld",
        "decision_note": "核实无误",
    }
    verify = await client.get(
        f"/api/v1/points/accounts/{entry['account_id']}/verify", headers=world.auth("v1_villager")
    )
    assert verify.json()["ok"] is True and verify.json()["entries"] == 2


async def test_appeal_window(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    await make_rule(client, world)
    entry = (await award(client, world)).json()
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(LedgerEntry).values(created_at=utcnow() - timedelta(days=8)))
    late = await client.post(
        f"/api/v1/points/entries/{entry['id']}/appeals",
        json={"reason": "太晚了吗"},
        headers=world.auth("v1_villager"),
    )
    assert late.status_code == 422 and late.json()["code"] == "appeal.window_closed"
    await client.patch(
        f"/api/v1/admin/towns/{world.ids['town_a']}",
        json={"appeal_days": 30},
        headers=world.auth("town_a_admin"),
    )
    ok = await client.post(
        f"/api/v1/points/entries/{entry['id']}/appeals",
        json={"reason": "镇里放宽了期限"},
        headers=world.auth("v1_villager"),
    )
    assert ok.status_code == 201


async def test_leaderboard_ranks_and_can_be_switched_off(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world, points=10)
    second = await client.post(
        "/api/v1/admin/households",
        json={"village_id": world.ids["v1"], "head_name": "张三"},
        headers=world.auth("v1_admin"),
    )
    h3 = second.json()["id"]
    for _ in range(2):
        await award(client, world)
    body = {"rule_code": "clean", "account_owner": {"household_id": h3}, "note": ""}
    await client.post("/api/v1/admin/points/entries", json=body, headers=world.auth("v1_admin"))
    params = {"ledger": "household", "village_id": world.ids["v1"], "period": "month"}
    board = await client.get(
        "/api/v1/points/leaderboard", params=params, headers=world.auth("v1_villager")
    )
    assert board.status_code == 200, board.text
    rows = board.json()["items"]
    assert [(r["rank"], r["name"], r["points"]) for r in rows] == [(1, "王一", 20), (2, "张三", 10)]
    outsider = await client.get(
        "/api/v1/points/leaderboard", params=params, headers=world.auth("w1_villager")
    )
    assert outsider.status_code == 404
    await client.patch(
        f"/api/v1/admin/towns/{world.ids['town_a']}",
        json={"rankings_enabled": False},
        headers=world.auth("town_a_admin"),
    )
    off = await client.get(
        "/api/v1/points/leaderboard", params=params, headers=world.auth("v1_villager")
    )
    assert off.status_code == 403 and off.json()["code"] == "points.rankings_disabled"


async def test_member_stars_reeducation_and_rewards(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world, code="lecture", title="讲党课", ledger="member", points=45)
    members = []
    for name in ("甲", "乙", "丙"):
        r = await client.post(
            "/api/v1/admin/people",
            json={
                "name": name,
                "phone": f"1770000000{len(members)}",
                "village_id": world.ids["v1"],
                "is_party_member": True,
            },
            headers=world.auth("v1_admin"),
        )
        members.append(r.json()["id"])
    # 甲 90 points, 乙 45, 丙 none.
    for person, times in ((members[0], 2), (members[1], 1)):
        for _ in range(times):
            body = {"rule_code": "lecture", "account_owner": {"person_id": person}, "note": ""}
            await client.post(
                "/api/v1/admin/points/entries", json=body, headers=world.auth("v1_admin")
            )
    year = to_china(utcnow()).year
    review = await client.post(
        "/api/v1/admin/stars/reviews",
        json={"person_id": members[1], "year": year, "grade": "excellent"},
        headers=world.auth("v1_admin"),
    )
    assert review.status_code == 200, review.text
    stars = {m["person_id"]: m for m in review.json()["items"]}
    assert stars[members[0]]["star_level"] == 4  # 90 ≥ 40, 60, 80
    assert stars[members[1]]["star_level"] == 3  # 45 ≥ 40, plus one for excellent
    assert stars[members[2]]["star_level"] == 1
    low = (
        await client.get(
            "/api/v1/admin/stars/re-education",
            params={"year": year},
            headers=world.auth("v1_admin"),
        )
    ).json()["items"]
    assert {m["person_id"] for m in low} == {members[1], members[2]}
    report = await client.post(
        "/api/v1/admin/stars/rewards",
        json={"year": year, "total_fen": 100_000, "top_n": 5},
        headers=world.auth("v1_admin"),
    )
    assert [(i["person_id"], i["share_fen"]) for i in report.json()["items"]] == [
        (members[0], 100_000)
    ]
    me_member = await client.post(
        f"/api/v1/admin/people/{members[0]}/password",
        json={"username": "jia", "password": "jia-password"},
        headers=world.auth("v1_admin"),
    )
    assert me_member.status_code == 200
    login = await client.post(
        "/api/v1/auth/token", data={"username": "jia", "password": "jia-password"}
    )
    balances = login.json()["user"]["balances"]
    assert balances["member_points_year"] == 90 and balances["member_star_level"] == 4


def test_reward_split_adds_up_to_the_fen() -> None:
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert split_largest_remainder(100, []) == []  # nobody qualified: nothing to split
    assert split_largest_remainder(5, [0, 0]) == [3, 2]
    shares = split_largest_remainder(1_000_01, [97, 55, 23, 23, 1])
    assert sum(shares) == 1_000_01
    assert shares == sorted(shares, reverse=True)


def test_volunteer_star_thresholds() -> None:
    hours = [100, 300, 600, 1000, 1500]
    assert volunteer_star(0, hours) == (0, 6000)
    assert volunteer_star(100 * 60 - 1, hours) == (0, 1)
    assert volunteer_star(100 * 60, hours) == (1, 200 * 60)
    assert volunteer_star(1500 * 60, hours) == (5, None)

"""The admin's dashboard: each queue count is what that queue's own list returns for the same
admin, and the month's numbers stay inside the admin's scope."""

from typing import Any

import httpx

from tests.helpers.factories import World
from tests.helpers.points import award, make_rule

QUEUES = {
    "points_pending": ("/api/v1/admin/points/pending", {}),
    "posts_pending": ("/api/v1/admin/posts", {}),
    "appeals_open": ("/api/v1/admin/appeals", {"status": "open"}),
    "leave_pending": ("/api/v1/admin/leave-requests", {}),
    "checkins_pending": ("/api/v1/admin/checkins/pending", {}),
    "service_requests_open": ("/api/v1/admin/service-requests", {"status": "open"}),
    "objections_open": ("/api/v1/admin/objections", {}),
}


async def _listed(
    client: httpx.AsyncClient, world: World, who: str, path: str, params: dict
) -> int:
    total, cursor = 0, None
    while True:
        page = await client.get(
            path, params={**params, "limit": 100, "cursor": cursor}, headers=world.auth(who)
        )
        assert page.status_code == 200, page.text
        total += len(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return total


async def _board(
    client: httpx.AsyncClient, world: World, who: str, **params: object
) -> dict[str, Any]:
    r = await client.get("/api/v1/admin/dashboard", params=params, headers=world.auth(who))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_each_queue_count_is_its_list(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world, code="big", title="见义勇为", points=50, requires_approval=True)
    await make_rule(client, world, code="litter", title="乱扔垃圾", points=-5)
    for who, household in (("v1_admin", "h1"), ("v1_admin", "h1"), ("v2_admin", "h2")):
        made = await award(client, world, who=who, code="big", household=household)
        assert made.status_code == 201, made.text
    fined = (await award(client, world, code="litter")).json()
    appealed = await client.post(
        f"/api/v1/points/entries/{fined['id']}/appeals",
        json={"reason": "不是我家扔的"},
        headers=world.auth("v1_villager"),
    )
    assert appealed.status_code == 201, appealed.text
    for who in ("v1_villager", "v2_villager"):
        post = {"title": "丰收节", "body": "在村委会广场。", "category": "activity"}
        assert (
            await client.post("/api/v1/posts", json=post, headers=world.auth(who))
        ).status_code == 201
        errand = {"kind": "errand", "title": "代办医保续费", "description": "老人腿脚不便"}
        filed = await client.post("/api/v1/service-requests", json=errand, headers=world.auth(who))
        assert filed.status_code == 201, filed.text

    for who in ("v1_admin", "v2_admin", "town_a_admin", "town_b_admin", "b1_admin"):
        queues = (await _board(client, world, who))["queues"]
        for name, (path, params) in QUEUES.items():
            assert queues[name] == await _listed(client, world, who, path, params), (who, name)
    v1 = (await _board(client, world, "v1_admin"))["queues"]
    assert (v1["points_pending"], v1["appeals_open"], v1["posts_pending"]) == (2, 1, 1)
    assert v1["service_requests_open"] == 1
    town = (await _board(client, world, "town_a_admin"))["queues"]
    assert (town["points_pending"], town["posts_pending"]) == (3, 2)


async def test_the_months_numbers_stay_in_scope(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world, code="clean", title="环境清扫", points=5)
    assert (await award(client, world, household="h1")).status_code == 201
    assert (await award(client, world, who="v2_admin", household="h2")).status_code == 201
    v1 = await _board(client, world, "v1_admin")
    town = await _board(client, world, "town_a_admin")
    assert v1["points"]["issued"] == 5 and town["points"]["issued"] == 10
    people = await _listed(client, world, "v1_admin", "/api/v1/admin/people", {})
    assert v1["people"]["total"] == people
    narrowed = await _board(client, world, "town_a_admin", village_id=world.ids["v1"])
    assert narrowed["points"]["issued"] == 5
    assert narrowed["people"]["total"] == people
    last_year = await _board(client, world, "v1_admin", period="2025-11")
    assert last_year["period"] == "2025-11" and last_year["points"]["issued"] == 0


async def test_a_bad_period_or_a_foreign_village(client: httpx.AsyncClient, world: World) -> None:
    bad = await client.get(
        "/api/v1/admin/dashboard", params={"period": "2026-13"}, headers=world.auth("v1_admin")
    )
    assert bad.status_code == 422
    foreign = await client.get(
        "/api/v1/admin/dashboard",
        params={"village_id": world.ids["v2"]},
        headers=world.auth("v1_admin"),
    )
    assert foreign.status_code == 404
    villager = await client.get("/api/v1/admin/dashboard", headers=world.auth("v1_villager"))
    assert villager.status_code == 403

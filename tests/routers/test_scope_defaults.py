"""A left-out village_id / town_id means the caller's one village or town; a caller who covers
several must say which (422 scope.required). Rule codes come from the title when left out."""

import httpx

from tests.helpers.factories import World


async def _post(
    client: httpx.AsyncClient, world: World, who: str, path: str, body: dict
) -> httpx.Response:
    return await client.post(f"/api/v1/admin/{path}", json=body, headers=world.auth(who))


async def test_a_village_secretary_need_not_name_their_village(
    client: httpx.AsyncClient, world: World
) -> None:
    grid = await _post(client, world, "v1_admin", "grids", {"name": "新网格"})
    assert grid.status_code == 201 and grid.json()["village_id"] == world.ids["v1"]
    household = await _post(client, world, "v1_admin", "households", {"head_name": "周福"})
    assert household.status_code == 201 and household.json()["village_id"] == world.ids["v1"]
    goods = await _post(client, world, "v1_admin", "shop/goods", {"name": "肥皂", "points": 5})
    assert goods.status_code == 201 and goods.json()["village_id"] == world.ids["v1"]


async def test_a_town_admin_must_say_which_village(client: httpx.AsyncClient, world: World) -> None:
    r = await _post(client, world, "town_a_admin", "grids", {"name": "哪个村"})
    assert r.status_code == 422
    assert r.json()["code"] == "scope.required" and "village_id" in r.json()["detail"]
    made = await _post(client, world, "town_a_admin", "villages", {"name": "新村"})
    assert made.status_code == 201 and made.json()["town_id"] == world.ids["town_a"]
    branch = await _post(client, world, "town_a_admin", "branches", {"name": "新支部"})
    assert branch.status_code == 201 and branch.json()["town_id"] == world.ids["town_a"]
    in_village = await _post(
        client, world, "town_a_admin", "branches", {"name": "村支部", "village_id": world.ids["v2"]}
    )
    assert in_village.status_code == 201 and in_village.json()["town_id"] == world.ids["town_a"]


async def test_the_superadmin_must_say_which_town(client: httpx.AsyncClient, world: World) -> None:
    r = await _post(client, world, "superadmin", "villages", {"name": "无处村"})
    assert r.status_code == 422 and r.json()["code"] == "scope.required"
    assert "town_id" in r.json()["detail"]


async def test_a_rule_without_code_or_place(client: httpx.AsyncClient, world: World) -> None:
    body = {"title": "环境卫生", "ledger": "household", "points": 5}
    first = await _post(client, world, "v1_admin", "scoring-rules", body)
    assert first.status_code == 201, first.text
    assert first.json()["code"] == "huanjing_weisheng"
    assert first.json()["village_id"] == world.ids["v1"]
    second = await _post(client, world, "town_a_admin", "scoring-rules", body)
    assert second.status_code == 201, second.text
    # Unique within the town, whichever village the first one is for.
    assert second.json()["code"] == "huanjing_weisheng_2"
    assert second.json()["village_id"] is None
    nowhere = await _post(client, world, "superadmin", "scoring-rules", body)
    assert nowhere.status_code == 422 and nowhere.json()["code"] == "scope.required"

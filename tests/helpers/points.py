"""Helpers shared by the points tests: rules and awards made through the API."""

from typing import Any

import httpx

from tests.helpers.factories import World


async def make_rule(
    client: httpx.AsyncClient, world: World, who: str = "town_a_admin", **fields: Any
) -> dict[str, Any]:
    body = {
        "code": "clean",
        "title": "环境清扫",
        "ledger": "household",
        "points": 5,
        "unit": "once",
        "town_id": world.ids["town_a"],
        **fields,
    }
    r = await client.post("/api/v1/admin/scoring-rules", json=body, headers=world.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def award(
    client: httpx.AsyncClient,
    world: World,
    *,
    who: str = "v1_admin",
    code: str = "clean",
    household: str | None = "h1",
    person: str | None = None,
    **fields: Any,
) -> httpx.Response:
    owner = (
        {"person_id": world.ids[person]}
        if person
        else {"household_id": world.ids[household or "h1"]}
    )
    body = {"rule_code": code, "account_owner": owner, "note": "测试", **fields}
    return await client.post("/api/v1/admin/points/entries", json=body, headers=world.auth(who))

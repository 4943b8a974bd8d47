"""The points shop: its fund, goods, redemptions, and what a household has left."""

from typing import Any

import httpx

from tests.helpers.factories import World
from tests.helpers.points import award, make_rule


async def fund(client: httpx.AsyncClient, world: World, household: str, points: int) -> None:
    """Gives a household exactly this many points through the ledger."""
    rules = await client.get("/api/v1/admin/scoring-rules", headers=world.auth("town_a_admin"))
    if not any(r["code"] == "gift" for r in rules.json()["items"]):
        await make_rule(client, world, code="gift", title="积分", points=1, unit="hour")
    while points > 0:
        step = min(points, 24)
        r = await award(client, world, code="gift", household=household, quantity=step)
        assert r.status_code == 201, r.text
        points -= step


async def goods(
    client: httpx.AsyncClient, world: World, *, points: int = 30, stock: int = 5, **fields: Any
) -> dict[str, Any]:
    body = {
        "village_id": world.ids["v1"],
        "name": "洗衣液",
        "points": points,
        "stock": stock,
        **fields,
    }
    r = await client.post("/api/v1/admin/shop/goods", json=body, headers=world.auth("v1_admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def redeem(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    goods_id: int,
    quantity: int = 1,
    **extra: str,
) -> httpx.Response:
    return await client.post(
        "/api/v1/shop/redemptions",
        json={"goods_id": goods_id, "quantity": quantity},
        headers={**headers, **extra},
    )


async def balance(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    r = await client.get("/api/v1/me/points", params={"ledger": "household"}, headers=headers)
    return int(r.json()["balance"])


async def stock(client: httpx.AsyncClient, world: World, goods_id: int) -> int:
    listed = await client.get("/api/v1/shop/goods", headers=world.auth("v1_admin"))
    return next(g["stock"] for g in listed.json()["items"] if g["id"] == goods_id)

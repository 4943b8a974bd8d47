"""The cross-scope write sweep: a village 1 admin sends every write whose body names ids, with
one id at a time swapped for a row of village 2 or of town B. Each is refused with a 4xx, and
nothing is stored (every admin write leaves an audit entry, and none appears)."""

from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from app.china_time import utcnow
from app.models.audit import AuditEntry
from tests.helpers.factories import World
from tests.helpers.grid import report, upload
from tests.helpers.points import make_rule

_n = count(1)
Body = Callable[[World], dict[str, Any]]


def _soon(hours: int) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


# (path, a valid body in village 1, {field: the foreign row's key in world.ids})
SWEEP: list[tuple[str, Body, dict[str, str]]] = [
    (
        "/api/v1/admin/villages",
        lambda w: {"town_id": w.ids["town_a"], "name": f"新村{next(_n)}"},
        {"town_id": "town_b"},
    ),
    (
        "/api/v1/admin/branches",
        lambda w: {
            "town_id": w.ids["town_a"],
            "village_id": w.ids["v1"],
            "name": f"支部{next(_n)}",
        },
        {"village_id": "v2", "town_id": "town_b"},
    ),
    (
        "/api/v1/admin/grids",
        lambda w: {"village_id": w.ids["v1"], "name": f"网格{next(_n)}"},
        {"village_id": "v2"},
    ),
    (
        "/api/v1/admin/households",
        lambda w: {"village_id": w.ids["v1"], "grid_id": w.ids["g1"], "head_name": "户主"},
        {"village_id": "v2", "grid_id": "g2"},
    ),
    (
        "/api/v1/admin/people",
        lambda w: {
            "name": "新人",
            "phone": str(15600000000 + next(_n)),
            "village_id": w.ids["v1"],
            "household_id": w.ids["h1"],
            "grid_id": w.ids["g1"],
        },
        {"village_id": "v2", "household_id": "h2", "grid_id": "g2", "town_id": "town_b"},
    ),
    (
        "/api/v1/admin/role-grants",
        lambda w: {
            "person_id": w.ids["v1_villager"],
            "role": "grid_worker",
            "scope_type": "grid",
            "scope_id": w.ids["g1"],
        },
        {"person_id": "v2_villager", "scope_id": "g2"},
    ),
    (
        "/api/v1/admin/scoring-rules",
        lambda w: {
            "code": f"r{next(_n)}",
            "title": "规则",
            "ledger": "household",
            "points": 2,
            "town_id": w.ids["town_a"],
            "village_id": w.ids["v1"],
        },
        {"village_id": "v2", "town_id": "town_b"},
    ),
    (
        "/api/v1/admin/events",
        lambda w: {
            "branch_id": w.ids["b1"],
            "kind": "party_day",
            "title": "主题党日",
            "starts_at": _soon(24),
            "ends_at": _soon(26),
        },
        {"branch_id": "b2", "recorder_id": "v2_villager"},
    ),
    (
        "/api/v1/admin/activities",
        lambda w: {
            "title": "志愿活动",
            "village_id": w.ids["v1"],
            "starts_at": _soon(24),
            "ends_at": _soon(26),
        },
        {"village_id": "v2", "town_id": "town_b"},
    ),
    (
        "/api/v1/admin/shop/goods",
        lambda w: {"village_id": w.ids["v1"], "name": "毛巾", "points": 10},
        {"village_id": "v2"},
    ),
]

CASES = [
    pytest.param(path, body, field, foreign, id=f"{path.rsplit('/', 1)[-1]}.{field}={foreign}")
    for path, body, swaps in SWEEP
    for field, foreign in swaps.items()
]


async def _audit_count(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(AuditEntry))).one())


@pytest.mark.parametrize(("path", "body", "field", "foreign"), CASES)
async def test_a_foreign_id_in_the_body_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    world: World,
    app: FastAPI,
    path: str,
    body: Body,
    field: str,
    foreign: str,
) -> None:
    before = await _audit_count(app)
    sent = {**body(world), field: world.ids[foreign]}
    r = await client.post(path, json=sent, headers=world.auth("v1_admin"))
    assert 400 <= r.status_code < 500, (sent, r.text)
    assert await _audit_count(app) == before


@pytest.mark.parametrize(("path", "body"), [(p, b) for p, b, _ in SWEEP[2:]])
async def test_the_same_bodies_in_the_admins_own_village_are_accepted(
    client: httpx.AsyncClient, world: World, path: str, body: Body
) -> None:
    """The sweep's refusals mean something: the unswapped body goes through."""
    r = await client.post(path, json=body(world), headers=world.auth("v1_admin"))
    assert r.status_code in (200, 201), r.text


async def test_phone_side_writes_naming_another_villages_rows_are_refused(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """The grid worker, the villager and the village admin each name a village 2 row."""
    await make_rule(client, world)
    v2_goods = await client.post(
        "/api/v1/admin/shop/goods",
        json={"village_id": world.ids["v2"], "name": "大米", "points": 1, "stock": 5},
        headers=world.auth("v2_admin"),
    )
    assert v2_goods.status_code == 201, v2_goods.text
    before = await _audit_count(app)
    refused = [
        await report(client, world, grid_id=world.ids["g2"]),
        await report(client, world, who="v1_admin", assignee_person_id=world.ids["v2_villager"]),
        await client.post(
            "/api/v1/grid/scores",
            json={"household_id": world.ids["h2"], "rule_code": "clean"},
            headers=world.auth("g1_worker"),
        ),
        await client.post(
            "/api/v1/posts",
            json={"title": "通知", "category": "news", "village_id": world.ids["v2"]},
            headers=world.auth("v1_villager"),
        ),
        await client.post(
            "/api/v1/shop/redemptions",
            json={"goods_id": v2_goods.json()["id"]},
            headers=world.auth("v1_villager"),
        ),
        await client.post(
            "/api/v1/admin/stars/reviews",
            json={"person_id": world.ids["v2_villager"], "year": 2026, "grade": "qualified"},
            headers=world.auth("v1_admin"),
        ),
    ]
    for field in ("village_id", "household_id", "grid_id"):
        key = {"village_id": "v2", "household_id": "h2", "grid_id": "g2"}[field]
        refused.append(
            await client.patch(
                f"/api/v1/admin/people/{world.ids['v1_villager']}",
                json={field: world.ids[key]},
                headers=world.auth("v1_admin"),
            )
        )
    for r in refused:
        assert 400 <= r.status_code < 500, (r.request.url, r.request.content, r.text)
    assert await _audit_count(app) == before
    own = await client.get(
        f"/api/v1/admin/people/{world.ids['v1_villager']}", headers=world.auth("v1_admin")
    )
    assert (own.json()["village_id"], own.json()["household_id"]) == (
        world.ids["v1"],
        world.ids["h1"],
    )


async def test_goods_cannot_show_another_villages_photo(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """The last PATCH that names an id: a shop item's photo must be the admin's own upload."""
    goods = await client.post(
        "/api/v1/admin/shop/goods",
        json={"village_id": world.ids["v1"], "name": "洗衣液", "points": 5},
        headers=world.auth("v1_admin"),
    )
    theirs = await upload(client, world.auth("v2_admin"))
    before = await _audit_count(app)
    r = await client.patch(
        f"/api/v1/admin/shop/goods/{goods.json()['id']}",
        json={"media_id": theirs},
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 422 and r.json()["code"] == "shop.media_invalid"
    assert await _audit_count(app) == before

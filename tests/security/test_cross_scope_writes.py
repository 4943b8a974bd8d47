"""The cross-scope sweep, extended from the roster's creates to every admin write of the newer
domains that names ids in its body, nested ones included: with one id at a time swapped for a
row of village 2 or of town B, each is refused with a 4xx and nothing is stored (every admin
write leaves an audit entry, and none appears). Each unswapped body is accepted, so every
refusal means something."""

from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from app.china_time import to_china, utcnow
from app.models.audit import AuditEntry
from tests.helpers.factories import World
from tests.helpers.points import make_rule

_n = count(1)
Body = Callable[[World], dict[str, Any]]


def _tomorrow() -> str:
    return (to_china(utcnow()).date() + timedelta(days=1)).isoformat()


def _past(days: int) -> str:
    return (to_china(utcnow()) - timedelta(days=days)).isoformat()


# (who, path, a valid body of village 1 / town A, {dotted field: the foreign row's key})
SWEEP: list[tuple[str, str, Body, dict[str, str]]] = [
    (
        "v1_admin",
        "/api/v1/admin/development/cases",
        lambda w: {
            "person_id": w.ids["v1_villager"],
            "branch_id": w.ids["b1"],
            "applied_at": _past(3)[:10],
        },
        {"person_id": "v2_villager", "branch_id": "b2"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/honours",
        lambda w: {
            "year": 2026,
            "title": "热心村民",
            "person_id": w.ids["v1_villager"],
            "village_id": w.ids["v1"],
            "citation": "常年义务清扫村道，热心公益。",
        },
        {"person_id": "v2_villager", "village_id": "v2"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/honours",
        lambda w: {
            "year": 2026,
            "title": "最美家庭",
            "household_id": w.ids["h1"],
            "citation": "孝老爱亲，邻里和睦。",
        },
        {"household_id": "h2"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/duty-shifts",
        lambda w: {
            "village_id": w.ids["v1"],
            "person_id": w.ids["g1_worker"],
            "date": _tomorrow(),
            "starts_at": f"{9 + next(_n) % 8:02d}:00:00",
            "ends_at": f"{9 + next(_n) % 8:02d}:59:00",
        },
        {"village_id": "v2", "person_id": "v2_admin"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/cooperatives",
        lambda w: {
            "branch_id": w.ids["b1"],
            "name": f"合作社{next(_n)}",
            "industry": "黑猪",
            "founded_at": "2022-05-01",
            "leader_person_id": w.ids["v1_villager"],
        },
        {"branch_id": "b2", "leader_person_id": "v2_villager"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/proposals",
        lambda w: {
            "village_id": w.ids["v1"],
            "title": "村东道路硬化",
            "content": "硬化 800 米",
            "held_at": _past(1),
            "present": 5,
        },
        {"village_id": "v2"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/notices",
        lambda w: {
            "title": "通知",
            "body": "明早八点清扫村道。",
            "audience": {"village_id": w.ids["v1"]},
        },
        {"audience.village_id": "v2"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/points/entries",
        lambda w: {
            "rule_code": "clean",
            "account_owner": {"household_id": w.ids["h1"]},
            "note": "门前干净",
        },
        {"account_owner.household_id": "h2"},
    ),
    (
        "v1_admin",
        "/api/v1/admin/points/entries",
        lambda w: {
            "rule_code": "lecture",
            "account_owner": {"person_id": w.ids["v1_villager"]},
            "note": "讲了一堂党课",
        },
        {"account_owner.person_id": "v2_villager"},
    ),
    (
        "town_a_admin",
        "/api/v1/admin/contests",
        lambda w: {
            "town_id": w.ids["town_a"],
            "year": 2026,
            "title": f"最强党支部{next(_n)}",
            "criteria": [
                {"code": "onsite", "title": "现场评分", "weight": 100, "source": "judged"}
            ],
        },
        {"town_id": "town_b"},
    ),
]

CASES = [
    pytest.param(who, path, body, field, foreign, id=f"{path.rsplit('/', 1)[-1]}.{field}={foreign}")
    for who, path, body, swaps in SWEEP
    for field, foreign in swaps.items()
]


def _swapped(body: dict[str, Any], field: str, value: int) -> dict[str, Any]:
    head, _, rest = field.partition(".")
    if not rest:
        return {**body, head: value}
    return {**body, head: _swapped(body[head], rest, value)}


async def _rules(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world)
    await make_rule(client, world, code="lecture", title="讲党课", ledger="member")


async def _audit_count(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int((await session.exec(select(func.count()).select_from(AuditEntry))).one())


@pytest.mark.parametrize(("who", "path", "body", "field", "foreign"), CASES)
async def test_a_foreign_id_anywhere_in_the_body_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    world: World,
    app: FastAPI,
    who: str,
    path: str,
    body: Body,
    field: str,
    foreign: str,
) -> None:
    await _rules(client, world)
    before = await _audit_count(app)
    sent = _swapped(body(world), field, world.ids[foreign])
    r = await client.post(path, json=sent, headers=world.auth(who))
    assert 400 <= r.status_code < 500, (sent, r.text)
    assert await _audit_count(app) == before
    # Another town's row is refused the same way.
    far = {"v2_villager": "w1_villager", "h2": "hw", "v2": "w1", "b2": "b1"}.get(foreign)
    if far is not None and far != "b1":
        r = await client.post(
            path, json=_swapped(body(world), field, world.ids[far]), headers=world.auth(who)
        )
        assert 400 <= r.status_code < 500, r.text
        assert await _audit_count(app) == before


@pytest.mark.parametrize(
    ("who", "path", "body"),
    [pytest.param(w, p, b, id=p.rsplit("/", 1)[-1]) for w, p, b, _ in SWEEP],
)
async def test_the_same_bodies_in_the_callers_own_scope_are_accepted(
    client: httpx.AsyncClient, world: World, who: str, path: str, body: Body
) -> None:
    await _rules(client, world)
    r = await client.post(path, json=body(world), headers=world.auth(who))
    assert r.status_code in (200, 201), r.text

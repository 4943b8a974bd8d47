"""Party members, events and their codes, as the event tests and others need them."""

from datetime import timedelta
from itertools import count
from typing import Any

import httpx

from app.china_time import utcnow
from app.services.kit import qr_tokens
from tests.conftest import make_settings
from tests.helpers.factories import Login, World

_phones = count(16600000000)


VENUE = {"lat": 40.0, "lng": 116.0, "radius_m": 100}


async def member(
    client: httpx.AsyncClient, world: World, login: Login, name: str, branch: str = "b1"
) -> dict[str, str]:
    r = await client.post(
        "/api/v1/admin/people",
        json={
            "name": name,
            "phone": str(next(_phones)),
            "village_id": world.ids["v1" if branch == "b1" else "v2"],
            "branch_id": world.ids[branch],
            "is_party_member": True,
        },
        headers=world.auth("town_a_admin"),
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {await login(r.json()['id'])}", "person_id": r.json()["id"]}


async def make_event(
    client: httpx.AsyncClient,
    world: World,
    *,
    starts_in: timedelta = timedelta(),
    who: str = "b1_admin",
    **fields: Any,
) -> dict[str, Any]:
    start = utcnow() + starts_in
    body = {
        "branch_id": world.ids["b1"],
        "kind": "party_day",
        "title": "十一月主题党日",
        "agenda": {"items": ["讲党课", "志愿服务"]},
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        **fields,
    }
    r = await client.post("/api/v1/admin/events", json=body, headers=world.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def token_for(client: httpx.AsyncClient, world: World, event_id: int) -> str:
    r = await client.get(f"/api/v1/events/{event_id}/qr", headers=world.auth("b1_admin"))
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def poster_token(event: dict[str, Any]) -> str:
    settings = make_settings()
    qr = qr_tokens.QrSettings(settings.qr_secret, settings.qr_rotate_seconds)
    return qr_tokens.poster(qr, qr_tokens.Purpose.event, event["id"])


def auth(headers: dict[str, str]) -> dict[str, str]:
    return {"Authorization": headers["Authorization"]}

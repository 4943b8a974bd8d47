"""Party members, events and their codes, as the event tests and others need them."""

from datetime import datetime, timedelta
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


async def past_event(
    client: httpx.AsyncClient,
    world: World,
    *,
    ended_days_ago: float = 1,
    who: str = "b1_admin",
    **fields: Any,
) -> dict[str, Any]:
    """An event that ended ``ended_days_ago`` days ago (two hours long)."""
    return await make_event(
        client, world, starts_in=-timedelta(days=ended_days_ago, hours=2), who=who, **fields
    )


async def attend_offline(
    client: httpx.AsyncClient, event: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """A scan made at the start of a past event and sent later, as a phone without signal
    does: kept for review, which is someone at the venue all the same."""
    settings = make_settings()
    qr = qr_tokens.QrSettings(settings.qr_secret, settings.qr_rotate_seconds)
    at = datetime.fromisoformat(event["starts_at"])
    token, _ = qr_tokens.issue(qr, qr_tokens.Purpose.event, event["id"], now=at)
    r = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": token, "queued_offline": True},
        headers=auth(headers),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending_review"
    return dict(r.json())


MINUTES = {
    "topics": ["学习党的二十届四中全会精神", "研究人居环境整治"],
    "content": "书记领学全会公报，党员逐一发言；会议研究了村内环境整治分工。",
    "decisions": ["每周六开展一次环境整治志愿服务"],
}


async def file_minutes(
    client: httpx.AsyncClient,
    world: World,
    event: dict[str, Any],
    who: str = "b1_admin",
    **fields: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/events/{event['id']}/minutes",
        json={**MINUTES, **fields},
        headers=world.auth(who),
    )


async def held_event(
    client: httpx.AsyncClient,
    world: World,
    attendee: dict[str, str],
    *,
    ended_days_ago: float = 1,
    who: str = "b1_admin",
    **fields: Any,
) -> dict[str, Any]:
    """An event that took place (someone came) and whose minutes were filed in time."""
    event = await past_event(client, world, ended_days_ago=ended_days_ago, who=who, **fields)
    await attend_offline(client, event, attendee)
    filed = await file_minutes(client, world, event, who=who)
    assert filed.status_code == 201, filed.text
    return event

"""Volunteer activities and the organiser's hand entries."""

from datetime import datetime, timedelta
from typing import Any

import httpx

from app.china_time import utcnow
from tests.helpers.factories import World


async def activity(
    client: httpx.AsyncClient,
    world: World,
    *,
    starts: timedelta = timedelta(minutes=-30),
    length: timedelta = timedelta(hours=2),
    who: str = "v1_admin",
    **fields: Any,
) -> dict[str, Any]:
    begin = utcnow() + starts
    body = {
        "title": "清扫村道",
        "village_id": world.ids["v1"],
        "starts_at": begin.isoformat(),
        "ends_at": (begin + length).isoformat(),
        **fields,
    }
    r = await client.post("/api/v1/admin/activities", json=body, headers=world.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def hand_entry(
    client: httpx.AsyncClient,
    world: World,
    activity_id: int,
    sign_in: datetime,
    sign_out: datetime,
    who: str = "v1_admin",
    person: str = "v1_villager",
) -> httpx.Response:
    body = {
        "person_id": world.ids[person],
        "sign_in_at": sign_in.isoformat(),
        "sign_out_at": sign_out.isoformat(),
        "note": "忘记签退，组织者补录",
    }
    return await client.post(
        f"/api/v1/admin/activities/{activity_id}/records", json=body, headers=world.auth(who)
    )

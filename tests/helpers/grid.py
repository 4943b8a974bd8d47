"""Grid tasks reported and moved, and the photos they carry."""

from itertools import count
from typing import Any

import httpx

from tests.helpers.factories import World
from tests.helpers.media import photo

_scenes = count(1)


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes | None = None
) -> int:
    """Uploads a photo: a new scene each time unless the bytes are given."""
    r = await client.post(
        "/api/v1/media",
        files={"file": ("wx.jpg", data or photo(seed=next(_scenes)), "image/jpeg")},
        data={"purpose": "grid"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def report(
    client: httpx.AsyncClient, world: World, who: str = "g1_worker", **fields: Any
) -> httpx.Response:
    headers = world.auth(who)
    body: dict[str, Any] = {
        "category": "sanitation",
        "title": "路边垃圾堆放",
        "description": "村口桥边有一堆建筑垃圾",
        "lat": 30.5,
        "lng": 114.3,
        "coord_type": "wgs84",
        **fields,
    }
    if "media_ids" not in fields:
        body["media_ids"] = [await upload(client, headers)]
    return await client.post("/api/v1/grid/tasks", json=body, headers=headers)


async def act(
    client: httpx.AsyncClient,
    world: World,
    task_id: int,
    action: str,
    who: str = "v1_admin",
    **fields: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"action": action, **fields}
    if action == "resolve" and "media_ids" not in fields:
        body["media_ids"] = [await upload(client, world.auth(who))]
    return await client.post(
        f"/api/v1/grid/tasks/{task_id}/transitions", json=body, headers=world.auth(who)
    )

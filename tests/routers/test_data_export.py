"""A villager's copy of their data (PIPL art. 45): a zip of their profile, points with their
rules, attendance, requests, redemptions and inbox, and the photos they uploaded; none of a
neighbour's; once a day, the second asked for is 429 with Retry-After."""

import io
import json
import zipfile

import httpx

from tests.helpers.factories import World
from tests.helpers.grid import upload
from tests.helpers.points import award, make_rule


async def test_a_villager_gets_their_copy_once_a_day(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world)
    assert (await award(client, world, household="h1")).status_code == 201
    assert (await award(client, world, who="v2_admin", household="h2")).status_code == 201
    villager = world.auth("v1_villager")
    photo = await upload(client, villager)
    r = await client.get("/api/v1/me/data-export", headers=villager)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        names = set(archive.namelist())
        assert {"profile.json", "points.json", "attendance.json", "requests.json"} <= names
        assert f"photos/{photo}.jpg" in names
        profile = json.loads(archive.read("profile.json"))
        points = json.loads(archive.read("points.json"))
        assert archive.read(f"photos/{photo}.jpg")[:2] == b"\xff\xd8"  # a JPEG
    assert profile["name"] == "v1_villager" and profile["household"]["head_name"] == "王一"
    assert [e["rule_code"] for e in points["entries"]] == ["clean"]  # H1's, not H2's
    again = await client.get("/api/v1/me/data-export", headers=villager)
    assert again.status_code == 429 and again.json()["code"] == "me.export_too_soon"
    assert 0 < int(again.headers["retry-after"]) <= 86400
    # The quota is the person's own: a neighbour still gets theirs.
    assert (
        await client.get("/api/v1/me/data-export", headers=world.auth("v2_villager"))
    ).status_code == 200

"""Photo uploads as wx.uploadFile sends them: real images made here, every refusal code."""

import io
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlmodel import select

from app.models.media import Media
from tests.helpers.factories import World
from tests.helpers.media import photo, upload


async def fetch(client: httpx.AsyncClient, url: str) -> Image.Image:
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public, max-age=31536000")
    return Image.open(io.BytesIO(response.content))


@pytest.mark.parametrize("orientation", [3, 6, 8])
async def test_variants_come_out_upright(
    client: httpx.AsyncClient, world: World, orientation: int
) -> None:
    r = await upload(client, world, photo(orientation=orientation))
    assert r.status_code == 201, r.text
    body = r.json()
    shown = await fetch(client, body["url"])
    # Orientation 6 and 8 turn the 1200×800 sensor image on its side.
    expected = (800, 1200) if orientation in (6, 8) else (1200, 800)
    assert shown.size == expected == (body["width"], body["height"])
    thumb = await fetch(client, body["thumb_url"])
    assert max(thumb.size) <= 480


async def test_gps_is_private(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    r = await upload(client, world, photo(gps=(40.0, 116.0)))
    body = r.json()
    for url in (body["url"], body["thumb_url"]):
        image = await fetch(client, url)
        assert not image.getexif(), "a public variant carries EXIF"
        assert "exif" not in image.info
    async with app.state.sessionmaker() as session:
        row = (await session.exec(select(Media).where(Media.id == body["id"]))).one()
    assert (round(row.gps_lat or 0, 3), round(row.gps_lng or 0, 3)) == (40.0, 116.0)
    feed = await upload(client, world, photo(gps=(40.0, 116.0)), purpose="feed")
    async with app.state.sessionmaker() as session:
        public_row = (await session.exec(select(Media).where(Media.id == feed.json()["id"]))).one()
    assert public_row.gps_lat is None  # a feed photo keeps no location anywhere


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
async def test_png_and_webp(client: httpx.AsyncClient, world: World, fmt: str) -> None:
    r = await upload(client, world, photo(fmt=fmt), name=f"x.{fmt.lower()}")
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "image/jpeg"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
@pytest.mark.parametrize("kept", [0.1, 0.5, 0.9])
async def test_a_file_cut_off_by_a_weak_network_is_corrupt_not_a_crash(
    client: httpx.AsyncClient, world: World, fmt: str, kept: float
) -> None:
    whole = photo(fmt=fmt)
    r = await upload(client, world, whole[: int(len(whole) * kept)], name=f"x.{fmt.lower()}")
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "media.corrupt"
    assert r.json()["detail"] == "图片文件已损坏，请重新拍摄或选择。"


async def test_refusals(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    whole = photo()
    cases: list[tuple[bytes, int, str]] = [
        (whole[: len(whole) // 2], 400, "media.corrupt"),
        (b"just some text, not a picture", 415, "media.unsupported_type"),
        (b"", 400, "media.corrupt"),
    ]
    for data, status, code in cases:
        r = await upload(client, world, data)
        assert r.status_code == status, r.text
        assert r.json()["code"] == code
    async with app.state.sessionmaker() as session:
        assert (await session.exec(select(Media))).all() == []
    stored = [p for p in app.state.storage.root.rglob("*") if p.is_file()]
    assert stored == []


BOMB_CHECK = """
import io, resource, sys
from PIL import Image
from app.services.kit import images
buffer = io.BytesIO()
Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")  # 100 MP, a few kB on disk
data = buffer.getvalue()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    images.process(data, max_pixels=40_000_000)
except images.ImageRejected as rejected:
    print(rejected.code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_a_pixel_bomb_is_refused_without_memory_growing() -> None:
    # A fresh process, so its peak memory says what refusing the bomb cost and nothing else.
    done = subprocess.run(
        [sys.executable, "-c", BOMB_CHECK], capture_output=True, text=True, timeout=60, check=True
    )
    code, grown_kb = done.stdout.split()
    assert code == "media.too_many_pixels"
    assert int(grown_kb) < 20_000, f"peak memory grew by {grown_kb} kB"  # decoding: 100 MB+


async def test_a_pixel_bomb_upload_is_400(client: httpx.AsyncClient, world: World) -> None:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")
    r = await upload(client, world, buffer.getvalue(), name="bomb.png")
    assert r.status_code == 400 and r.json()["code"] == "media.too_many_pixels"


async def test_a_30mb_body_is_refused_early(client: httpx.AsyncClient, world: World) -> None:
    r = await upload(client, world, b"\xff" * (30 * 1024 * 1024))
    assert r.status_code == 413
    assert r.json()["code"] == "media.too_large"


async def test_uploads_need_a_login(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/media", files={"file": ("a.jpg", photo(), "image/jpeg")}, data={"purpose": "feed"}
    )
    assert r.status_code == 401


async def test_evidence_originals_are_private_behind_short_lived_links(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    original = photo(gps=(40.0, 116.0))
    r = await upload(client, world, original)
    media_id = r.json()["id"]
    seen = await client.get(f"/api/v1/admin/media/{media_id}", headers=world.auth("v1_admin"))
    assert seen.status_code == 200, seen.text
    view = seen.json()
    assert (round(view["gps_lat"], 3), round(view["gps_lng"], 3)) == (40.0, 116.0)
    assert view["purpose"] == "evidence" and view["original_expires_in"] == 300
    got = await client.get(view["original_url"])
    assert got.status_code == 200 and got.content == original  # as the phone sent it
    assert got.headers["cache-control"] == "private, no-store"
    # Without the signature, with another, or after it ran out, the original is not there.
    bare = view["original_url"].split("?")[0]
    assert (await client.get(bare)).status_code == 404
    assert (await client.get(view["original_url"][:-4] + "0000")).status_code == 404
    stale = app.state.storage.signed_url(bare.removeprefix("/media/"), seconds=-1)
    assert (await client.get(stale)).status_code == 404
    # Admins of other villages and villagers do not see it at all.
    other = await client.get(f"/api/v1/admin/media/{media_id}", headers=world.auth("v2_admin"))
    assert other.status_code == 404
    villager = await client.get(
        f"/api/v1/admin/media/{media_id}", headers=world.auth("v1_villager")
    )
    assert villager.status_code == 403


async def test_public_photos_keep_no_original(client: httpx.AsyncClient, world: World) -> None:
    r = await upload(client, world, photo(gps=(40.0, 116.0)), purpose="feed")
    view = await client.get(f"/api/v1/admin/media/{r.json()['id']}", headers=world.auth("v1_admin"))
    assert view.json()["original_url"] is None and view.json()["gps_lat"] is None


async def test_a_chunked_body_over_the_limit_is_413_too(
    client: httpx.AsyncClient, world: World
) -> None:
    """No Content-Length to refuse up front: the limit is met while the parts stream in."""
    boundary = "xzboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nevidence\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()

    async def parts() -> AsyncIterator[bytes]:
        yield head
        for _ in range(20):
            yield b"\xff" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    r = await client.post(
        "/api/v1/media",
        content=parts(),
        headers={
            **world.auth("v1_admin"),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "media.too_large"

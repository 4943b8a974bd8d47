"""S3 storage against a real S3-compatible server (moto's server mode on loopback)."""

from collections.abc import AsyncIterator, Iterator

import boto3
import httpx
import pytest
from asgi_lifespan import LifespanManager
from moto.server import ThreadedMotoServer

from app.main import create_app
from app.services.kit.storage import S3Storage
from tests.conftest import make_settings
from tests.helpers.factories import World
from tests.helpers.media import photo
from tests.helpers.net import free_port

BUCKET = "xiangzhi-media"
# A key of the shape uploads write (two hex digits of the hash, a uuid); no other is taken.
KEY = "ab/0123456789abcdef0123456789abcdef.jpg"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def storage(endpoint: str) -> S3Storage:
    return S3Storage(
        bucket=BUCKET,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key="test",
        secret_key="test",
        public_base_url=f"{endpoint}/{BUCKET}",
        public_read_acl=True,
    )


async def test_round_trip(s3_endpoint: str) -> None:
    store = storage(s3_endpoint)
    await store.put(KEY, b"\xff\xd8 not really a jpeg", "image/jpeg")
    async with httpx.AsyncClient() as web:
        public = await web.get(store.url(KEY))
        assert public.status_code == 200 and public.content == b"\xff\xd8 not really a jpeg"
        assert public.headers["cache-control"].startswith("public, max-age=31536000")
        signed = await web.get(store.signed_url(KEY, seconds=60))
        assert signed.status_code == 200
        # Read back as a villager's data export reads their photos.
        assert await store.get(KEY) == b"\xff\xd8 not really a jpeg"
        await store.delete(KEY)
        assert (await web.get(store.url(KEY))).status_code == 404
        assert await store.get(KEY) is None


@pytest.fixture
async def s3_client(s3_endpoint: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        s3_public_read_acl=True,
        s3_bucket=BUCKET,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key="test",
        s3_secret_key="test",
    )
    app = create_app(settings, run_jobs_in_process=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_uploads_land_in_the_bucket(s3_client: httpx.AsyncClient, world: World) -> None:
    r = await s3_client.post(
        "/api/v1/media",
        files={"file": ("a.jpg", photo(), "image/jpeg")},
        data={"purpose": "feed"},
        headers=world.auth("v1_villager"),
    )
    assert r.status_code == 201, r.text
    async with httpx.AsyncClient() as web:
        for url in (r.json()["url"], r.json()["thumb_url"]):
            assert url.startswith("http://127.0.0.1:")
            fetched = await web.get(url)
            assert fetched.status_code == 200 and fetched.content[:2] == b"\xff\xd8"


async def test_evidence_originals_are_signed_links_into_the_bucket(
    s3_client: httpx.AsyncClient, world: World
) -> None:
    original = photo(gps=(40.0, 116.0))
    r = await s3_client.post(
        "/api/v1/media",
        files={"file": ("a.jpg", original, "image/jpeg")},
        data={"purpose": "evidence"},
        headers=world.auth("g1_worker"),
    )
    view = await s3_client.get(
        f"/api/v1/admin/media/{r.json()['id']}", headers=world.auth("v1_admin")
    )
    link = view.json()["original_url"]
    assert "/private/" in link and "Signature" in link and "Expires" in link
    async with httpx.AsyncClient() as web:
        fetched = await web.get(link)
    assert fetched.status_code == 200 and fetched.content == original
    # Marked so that no shared cache keeps a copy of it.
    assert fetched.headers["cache-control"] == "private, no-store"

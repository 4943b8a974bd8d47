"""Issue 27, item 1: a private original (EXIF GPS and all) is never served without its signed
link, however its path is spelled: every encoding of "..", ".", "//", backslashes, %2f and %5c,
single and double encoded, on the local folder and on the S3 storage."""

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.services.kit.storage import BadKey, LocalStorage, S3Storage, is_private
from tests.helpers.factories import World
from tests.helpers.media import photo, upload
from tests.security.wire import raw_get, served


def spellings(public: str, private: str) -> list[str]:
    """Paths under /media/ that an attacker who saw ``public`` (``ab/<uuid>.jpg``) might try to
    reach ``private`` (``private/ab/<uuid>.jpg``) or anything else outside the public variants."""
    folder, name = public.split("/")
    plain = f"private/{folder}/{name}"
    assert plain == private
    return [
        f"{folder}/..%2f{plain.replace('/', '%2f')}",
        f"{folder}/..%2F{plain.replace('/', '%2F')}",
        f"./{plain}",
        f"{folder}/../{plain}",
        f"{folder}/./../{plain}",
        f"{folder}%2f..%2f{plain.replace('/', '%2f')}",
        f"/{plain}",
        f"{folder}//../{plain}",
        f"{folder}/..%5c{plain.replace('/', '%5c')}",
        f"{folder}/..\\{plain.replace('/', chr(92))}",
        f"{folder}/%2e%2e/{plain}",
        f"{folder}/%2e%2e%2f{plain.replace('/', '%2f')}",
        f"{folder}/.%2e/{plain}",
        f"%2e/{plain}",
        f"{folder}/..%252f{plain.replace('/', '%252f')}",
        f"{folder}/%252e%252e%252f{plain.replace('/', '%252f')}",
        f"{folder}/..%255c{plain.replace('/', '%255c')}",
        f"{public}/../../{plain}",
        f"{public}%2f..%2f..%2f{plain.replace('/', '%2f')}",
        f"private/./{folder}/{name}",
        f"private//{folder}/{name}",
        f"PRIVATE/{folder}/{name}",
        f"private/{folder}/{name}%00.jpg",
        plain,
        "../../../../etc/passwd",
        "..%2f..%2f..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%5c..%5cetc%5cpasswd",
    ]


async def test_no_spelling_of_a_path_reaches_a_private_original(
    app: FastAPI, world: World, client: httpx.AsyncClient
) -> None:
    original = photo(gps=(40.0, 116.0))
    r = await upload(client, world, original)
    assert r.status_code == 201, r.text
    public = r.json()["url"].removeprefix("/media/")
    view = await client.get(f"/api/v1/admin/media/{r.json()['id']}", headers=world.auth("v1_admin"))
    signed = view.json()["original_url"]
    private = signed.split("?")[0].removeprefix("/media/")
    async with served(app) as port:
        shown = await raw_get(port, f"/media/{public}")
        assert shown.status == 200 and shown.body[:2] == b"\xff\xd8"
        got = await raw_get(port, signed)
        assert got.status == 200 and got.body == original  # the signed link still works
        for path in spellings(public, private):
            answer = await raw_get(port, f"/media/{path}")
            assert answer.status in (400, 404), (path, answer.status)
            assert original not in answer.body and b"root:" not in answer.body, path


HOSTILE_KEYS = [
    "ab/../private/ab/0123456789abcdef0123456789abcdef.jpg",
    "./private/ab/0123456789abcdef0123456789abcdef.jpg",
    "ab/..\\private\\ab\\0123456789abcdef0123456789abcdef.jpg",
    "ab//0123456789abcdef0123456789abcdef.jpg",
    "ab/0123456789abcdef0123456789abcdef.jpg/../../x.jpg",
    "ab/0123456789abcdef0123456789abcdef.jpg%2f..",
    "../etc/passwd",
    "/etc/passwd",
    "ab/0123456789ABCDEF0123456789ABCDEF.jpg",
    "ab/0123456789abcdef0123456789abcdef.jpg\x00.png",
    # A private photo's thumbnail is only ever a jpg, as its public one was.
    "private/ab/0123456789abcdef0123456789abcdef.thumb.png",
    "private/ab/0123456789abcdef0123456789abcdef.thumb.thumb.jpg",
    "private/private/ab/0123456789abcdef0123456789abcdef.thumb.jpg",
    "ab/0123456789abcdef0123456789abcdef.png",
    "",
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_a_key_of_any_other_shape_is_refused_by_both_storages(key: str, tmp_path: Path) -> None:
    local = LocalStorage(tmp_path, secret="s")
    s3 = S3Storage(
        bucket="b",
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        access_key="k",
        secret_key="s",
        public_base_url="http://127.0.0.1:9/b",
    )
    with pytest.raises(BadKey):
        is_private(key)
    with pytest.raises(BadKey):
        local.path(key)
    for store in (local, s3):
        with pytest.raises(BadKey):
            store.url(key)
        with pytest.raises(BadKey):
            store.signed_url(key, seconds=60)


async def test_the_storages_write_no_key_of_another_shape(tmp_path: Path) -> None:
    local = LocalStorage(tmp_path / "media", secret="s")
    with pytest.raises(BadKey):
        await local.put("../escaped.jpg", b"x", "image/jpeg")
    assert not (tmp_path / "escaped.jpg").exists()
    private = "private/ab/0123456789abcdef0123456789abcdef.jpg"
    with pytest.raises(BadKey):
        local.url(private)  # a private original has no public address, only a signed one
    assert local.signed_url(private, seconds=60).startswith(f"/media/{private}?expires=")

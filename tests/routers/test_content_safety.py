"""WeChat content safety in live mode, against the fake WeChat server over real HTTP: text
checked while the author waits, photos checked later through the signed message push."""

import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app.models.audit import AuditEntry
from app.models.auth import UserAccount
from app.models.media import Media
from tests.helpers.factories import World
from tests.helpers.fake_wechat import APPID, FakeWechat, live_app
from tests.helpers.media import photo
from tests.helpers.wechat_crypto import AES_KEY, wechat_encrypt

TOKEN = "AAAAA"
PUBLIC_BASE = "https://xz.example.cn"


@pytest.fixture
async def safe_client(
    fake_wechat: FakeWechat, app: FastAPI, world: World
) -> AsyncIterator[httpx.AsyncClient]:
    """Live mode with the push configured; the villager and the village admin of v1 have opened
    the mini-program (they have openids), so WeChat can check what they write."""
    async with app.state.sessionmaker() as session, session.begin():
        for name in ("v1_villager", "v1_admin"):
            await session.execute(
                update(UserAccount)
                .where(col(UserAccount.person_id) == world.ids[name])
                .values(openid=f"live-{name}")
            )
    async with live_app(
        fake_wechat,
        wechat_push_token=TOKEN,
        wechat_encoding_aes_key=AES_KEY,
        public_base_url=PUBLIC_BASE,
    ) as client:
        yield client


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def verdict(trace_id: str, suggest: str, label: Any = 20002) -> bytes:
    return json.dumps(
        {
            "ToUserName": "gh_test",
            "FromUserName": "o-system",
            "CreateTime": int(time.time()),
            "MsgType": "event",
            "Event": "wxa_media_check",
            "appid": APPID,
            "trace_id": trace_id,
            "version": 2,
            "result": {"suggest": suggest, "label": label},
        }
    ).encode()


async def push(
    client: httpx.AsyncClient, message: bytes, *, safe: bool = False, token: str = TOKEN
) -> httpx.Response:
    timestamp, nonce = str(int(time.time())), "1514711492"
    params = {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    body = message
    if safe:
        encrypted = wechat_encrypt(message)
        params |= {"encrypt_type": "aes", "msg_signature": sign(token, timestamp, nonce, encrypted)}
        body = json.dumps({"ToUserName": "gh_test", "Encrypt": encrypted}).encode()
    return await client.post("/api/v1/wechat/push", params=params, content=body)


async def post(
    client: httpx.AsyncClient, world: World, who: str, body: str, media_ids: tuple[int, ...] = ()
) -> httpx.Response:
    return await client.post(
        "/api/v1/posts",
        json={"title": "村里新闻", "body": body, "category": "news", "media_ids": list(media_ids)},
        headers=world.auth(who),
    )


async def feed_photo(client: httpx.AsyncClient, world: World, who: str) -> int:
    r = await client.post(
        "/api/v1/media",
        files={"file": ("wx.jpg", photo(), "image/jpeg")},
        data={"purpose": "feed"},
        headers=world.auth(who),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_the_address_check_answers_echostr(safe_client: httpx.AsyncClient) -> None:
    # The example in WeChat's documentation.
    params = {
        "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
        "timestamp": "1714036504",
        "nonce": "1514711492",
        "echostr": "4375120948345356249",
    }
    r = await safe_client.get("/api/v1/wechat/push", params=params)
    assert r.status_code == 200 and r.text == "4375120948345356249"
    forged = await safe_client.get("/api/v1/wechat/push", params={**params, "nonce": "1"})
    assert forged.status_code == 403
    assert forged.json()["code"] == "wechat.push_signature"


async def test_text_verdicts(
    safe_client: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
) -> None:
    risky = await post(safe_client, world, "v1_villager", "RISKY 内容")
    assert risky.status_code == 422
    assert risky.json()["code"] == "post.content_risky"
    sent = [body for path, body in fake_wechat.calls if path == "/wxa/msg_sec_check"]
    assert sent[-1]["openid"] == "live-v1_villager" and sent[-1]["version"] == 2
    # An admin's own post goes out at once, unless WeChat doubts it or could not check it.
    clean = await post(safe_client, world, "v1_admin", "村委会通知：周六打扫卫生")
    assert clean.json()["status"] == "published"
    doubt = await post(safe_client, world, "v1_admin", "DOUBT 的内容")
    assert doubt.json()["status"] == "pending_review"
    inactive = await post(safe_client, world, "v1_admin", "NOT_OPENED 两小时没打开小程序")
    assert inactive.json()["status"] == "pending_review"
    # Console accounts have no openid: WeChat is not asked, the cadre is accountable.
    calls = fake_wechat.count("/wxa/msg_sec_check")
    console = await post(safe_client, world, "town_a_admin", "镇里的通知")
    assert console.json()["status"] == "published"
    assert fake_wechat.count("/wxa/msg_sec_check") == calls


async def test_a_risky_photo_takes_its_post_down_once(
    safe_client: httpx.AsyncClient, world: World, fake_wechat: FakeWechat, app: FastAPI
) -> None:
    media_id = await feed_photo(safe_client, world, "v1_admin")
    [asked] = [body for path, body in fake_wechat.calls if path == "/wxa/media_check_async"]
    assert asked["media_url"].startswith(f"{PUBLIC_BASE}/media/") and asked["media_type"] == 2
    published = await post(safe_client, world, "v1_admin", "活动照片", (media_id,))
    assert published.json()["status"] == "published"  # the verdict is not in yet

    for _ in range(3):  # WeChat retries when it does not hear back in time
        answer = await push(safe_client, verdict("trace-1", "risky", "20002"))
        assert answer.status_code == 200 and answer.text == "success"

    feed = await safe_client.get("/api/v1/feed", headers=world.auth("v1_villager"))
    assert published.json()["id"] not in [p["id"] for p in feed.json()["items"]]
    async with app.state.sessionmaker() as session:
        row = await session.get(Media, media_id)
        assert row is not None and (row.moderation, row.moderation_label) == ("risky", "20002")
        entries = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "post.moderated"))
        ).all()
    assert len(entries) == 1 and entries[0].after["status"] == "rejected"
    again = await post(safe_client, world, "v1_admin", "再发一次", (media_id,))
    assert again.status_code == 422 and again.json()["code"] == "post.media_risky"


async def test_a_doubtful_photo_in_safe_mode_sends_the_post_back_to_review(
    safe_client: httpx.AsyncClient, world: World
) -> None:
    media_id = await feed_photo(safe_client, world, "v1_admin")
    published = await post(safe_client, world, "v1_admin", "活动照片", (media_id,))
    answer = await push(safe_client, verdict("trace-1", "review", 100), safe=True)
    assert answer.status_code == 200 and answer.text == "success"
    queue = await safe_client.get("/api/v1/admin/posts", headers=world.auth("v1_admin"))
    [held] = [p for p in queue.json()["items"] if p["id"] == published.json()["id"]]
    # The reviewer sees which photo WeChat doubted.
    assert [m["moderation"] for m in held["media"]] == ["review"]


async def test_forged_and_unreadable_pushes_change_nothing(
    safe_client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    media_id = await feed_photo(safe_client, world, "v1_admin")
    forged = await push(safe_client, verdict("trace-1", "risky"), token="guess")
    assert forged.status_code == 403
    garbled = await push(safe_client, b"not json")
    assert garbled.status_code == 400 and garbled.json()["code"] == "wechat.push_unreadable"
    async with app.state.sessionmaker() as session:
        row = await session.get(Media, media_id)
        assert row is not None and row.moderation == "checking"


async def test_when_wechat_cannot_take_a_photo_humans_decide(
    safe_client: httpx.AsyncClient, world: World, fake_wechat: FakeWechat
) -> None:
    fake_wechat.media_check_errcode = 45009  # over the daily quota
    media_id = await feed_photo(safe_client, world, "v1_admin")
    held = await post(safe_client, world, "v1_admin", "活动照片", (media_id,))
    assert held.json()["status"] == "pending_review"

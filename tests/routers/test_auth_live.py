"""Live WeChat mode against a fake WeChat server on loopback (real HTTP)."""

import httpx

from tests.helpers.factories import World
from tests.helpers.fake_wechat import FakeWechat


async def login(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/api/v1/auth/wechat-login", json={"code": code})


async def test_live_login_exchanges_the_code(
    live_client: httpx.AsyncClient, fake_wechat: FakeWechat
) -> None:
    response = await login(live_client, "good")
    assert response.status_code == 200, response.text
    assert "SECRET-KEY-NEVER-SHOWN" not in response.text
    path, params = fake_wechat.calls[-1]
    assert path == "/sns/jscode2session"
    assert params["js_code"] == "good" and params["grant_type"] == "authorization_code"


async def test_invalid_code_is_a_clear_400(live_client: httpx.AsyncClient) -> None:
    response = await login(live_client, "invalid")
    assert response.status_code == 400
    assert response.json()["code"] == "auth.wechat_code_invalid"
    assert "登录凭证" in response.json()["detail"]


async def test_busy_is_retried_once(
    live_client: httpx.AsyncClient, fake_wechat: FakeWechat
) -> None:
    response = await login(live_client, "busy-once")
    assert response.status_code == 200
    assert fake_wechat.count("/sns/jscode2session") == 2


async def test_busy_twice_is_503(live_client: httpx.AsyncClient, fake_wechat: FakeWechat) -> None:
    response = await login(live_client, "busy-always")
    assert response.status_code == 503
    assert response.json()["code"] == "wechat.unavailable"
    assert fake_wechat.count("/sns/jscode2session") == 2


async def test_timeout_is_503(live_client: httpx.AsyncClient) -> None:
    response = await login(live_client, "slow")
    assert response.status_code == 503
    assert response.json()["code"] == "wechat.unavailable"


async def test_live_phone_binding_caches_and_refreshes_the_access_token(
    live_client: httpx.AsyncClient, fake_wechat: FakeWechat, world: World
) -> None:
    phone = (await live_client.get("/api/v1/me", headers=world.auth("v1_villager"))).json()["phone"]
    tokens = (await login(live_client, "binder")).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    version = (await live_client.get("/api/v1/privacy")).json()["version"]
    await live_client.post("/api/v1/me/privacy-consent", json={"version": version}, headers=auth)
    bad = await live_client.post("/api/v1/auth/bind-phone", json={"code": "nonsense"}, headers=auth)
    assert bad.status_code == 400
    assert bad.json()["code"] == "auth.phone_code_invalid"
    # WeChat invalidates the cached token: the gateway fetches a new one and retries once.
    fake_wechat.stale_tokens.add(f"token-{fake_wechat.tokens_issued}")
    ok = await live_client.post(
        "/api/v1/auth/bind-phone", json={"code": f"phone-{phone}"}, headers=auth
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["name"] == "v1_villager"
    assert fake_wechat.count("/cgi-bin/stable_token") == 2

"""Login, phone binding, refresh rotation, logout and token checks, in mock WeChat mode."""

import asyncio
import base64
import time

import httpx
from fastapi import FastAPI
from jose import jwt

from tests.conftest import TEST_JWT_SECRET
from tests.helpers.events import make_event, token_for
from tests.helpers.factories import World


async def wechat_login(client: httpx.AsyncClient, code: str = "abc") -> dict:
    """A WeChat login whose user has agreed to the current privacy notice (as the phone asks
    before offering to bind)."""
    response = await client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert response.status_code == 200, response.text
    version = (await client.get("/api/v1/privacy")).json()["version"]
    agreed = await client.post(
        "/api/v1/me/privacy-consent",
        json={"version": version},
        headers=bearer(response.json()["access_token"]),
    )
    assert agreed.status_code == 200, agreed.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_mock_login_gives_tokens_and_an_unbound_profile(client: httpx.AsyncClient) -> None:
    body = await wechat_login(client)
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    assert body["user"]["is_bound"] is False
    me = await client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["account_id"] == body["user"]["account_id"]
    # The same WeChat user logging in again is the same account.
    again = await wechat_login(client)
    assert again["user"]["account_id"] == body["user"]["account_id"]


async def test_bind_phone_links_the_roster_person(client: httpx.AsyncClient, world: World) -> None:
    tokens = await wechat_login(client, "villager")
    me = await client.get("/api/v1/me", headers=world.auth("v1_villager"))
    phone = me.json()["phone"]
    bound = await client.post(
        "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(tokens["access_token"])
    )
    assert bound.status_code == 200, bound.text
    profile = bound.json()
    assert profile["is_bound"] is True
    assert profile["name"] == "v1_villager"
    assert profile["village"]["name"] == "一村"
    assert profile["household"]["id"] == world.ids["h1"]


async def test_bind_phone_not_in_roster(client: httpx.AsyncClient) -> None:
    tokens = await wechat_login(client)
    response = await client.post(
        "/api/v1/auth/bind-phone",
        json={"code": "13000000000"},
        headers=bearer(tokens["access_token"]),
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "auth.not_in_roster"


async def test_bind_phone_already_bound_to_another_wechat(
    client: httpx.AsyncClient, world: World
) -> None:
    phone = (await client.get("/api/v1/me", headers=world.auth("v1_villager"))).json()["phone"]
    first = await wechat_login(client, "first-phone")
    second = await wechat_login(client, "second-phone")
    ok = await client.post(
        "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(first["access_token"])
    )
    assert ok.status_code == 200
    clash = await client.post(
        "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(second["access_token"])
    )
    assert clash.status_code == 409
    assert clash.json()["code"] == "auth.already_bound"


async def test_bind_phone_with_a_malformed_code_is_refused(client: httpx.AsyncClient) -> None:
    tokens = await wechat_login(client)
    response = await client.post(
        "/api/v1/auth/bind-phone", json={"code": "12ab"}, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 400
    assert response.json()["code"] == "auth.phone_code_invalid"


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = await wechat_login(client)
    second = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    # The spent token comes back (stolen, or a replayed request): the whole family dies.
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 401
    assert reused.json()["code"] == "auth.refresh_reused"
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 401
    me = await client.get("/api/v1/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 401


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"})
    assert response.status_code == 401
    assert response.json()["code"] == "auth.refresh_invalid"


async def test_logout_revokes_refresh_and_access(client: httpx.AsyncClient) -> None:
    tokens = await wechat_login(client)
    out = await client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert out.status_code == 204
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    me = await client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401
    assert me.json()["code"] == "auth.session_revoked"
    # Another device's session is untouched.
    other = await wechat_login(client)
    assert (
        await client.get("/api/v1/me", headers=bearer(other["access_token"]))
    ).status_code == 200


def _claims(**overrides: object) -> dict:
    now = int(time.time())
    claims = {
        "sub": "1",
        "sid": "s",
        "iat": now,
        "exp": now + 600,
        "iss": "xiangzhi",
        "aud": "xiangzhi-miniprogram",
        "jti": "j",
    }
    claims.update(overrides)
    return claims


async def test_bad_tokens_are_401(client: httpx.AsyncClient) -> None:
    tokens = await wechat_login(client)
    sub = str(tokens["user"]["account_id"])
    header, payload, _sig = jwt.encode(_claims(sub=sub), TEST_JWT_SECRET, "HS256").split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    none_token = f"{none_header}.{payload}."
    cases = {
        "garbage": "not-a-jwt",
        "expired": jwt.encode(_claims(sub=sub, exp=int(time.time()) - 5), TEST_JWT_SECRET),
        "wrong audience": jwt.encode(_claims(sub=sub, aud="someone-else"), TEST_JWT_SECRET),
        "wrong issuer": jwt.encode(_claims(sub=sub, iss="evil"), TEST_JWT_SECRET),
        "wrong secret": jwt.encode(_claims(sub=sub), "another-secret-entirely-000000000000"),
        "alg none": none_token,
        "tampered": f"{header}.{payload}.AAAA",
        "other algorithm": jwt.encode(_claims(sub=sub), TEST_JWT_SECRET, algorithm="HS512"),
    }
    for name, token in cases.items():
        response = await client.get("/api/v1/me", headers=bearer(token))
        assert response.status_code == 401, name
        assert response.headers["content-type"].startswith("application/problem+json"), name
    expired = await client.get("/api/v1/me", headers=bearer(cases["expired"]))
    assert expired.json()["code"] == "auth.token_expired"
    assert (await client.get("/api/v1/me")).status_code == 401
    valid = jwt.encode(_claims(sub=sub), TEST_JWT_SECRET)
    assert (await client.get("/api/v1/me", headers=bearer(valid))).status_code == 200


async def test_console_password_login(client: httpx.AsyncClient, world: World) -> None:
    made = await client.post(
        f"/api/v1/admin/people/{world.ids['v1_admin']}/password",
        json={"username": "yicun", "password": "correct-horse"},
        headers=world.auth("town_a_admin"),
    )
    assert made.status_code == 200, made.text
    good = await client.post(
        "/api/v1/auth/token", data={"username": "yicun", "password": "correct-horse"}
    )
    assert good.status_code == 200
    roles = good.json()["user"]["roles"]
    assert roles == [
        {
            "role": "village_admin",
            "scope_type": "village",
            "scope_id": world.ids["v1"],
            "scope_name": "一村",
        }
    ]
    bad = await client.post("/api/v1/auth/token", data={"username": "yicun", "password": "wrong!"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "auth.invalid_credentials"
    unknown = await client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert unknown.status_code == 401


async def test_wrong_passwords_slow_one_address_without_locking_the_admin_out(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """Ten bad tries from anywhere used to lock the account itself: now the guesser waits,
    longer each time, and the admin at another address logs in."""
    admin = await client.post(
        f"/api/v1/admin/people/{world.ids['v1_admin']}/password",
        json={"username": "cadre", "password": "right-password-1"},
        headers=world.auth("superadmin"),
    )
    assert admin.status_code in (200, 201), admin.text
    statuses = []
    for _ in range(7):
        r = await client.post("/api/v1/auth/token", data={"username": "cadre", "password": "x"})
        statuses.append(r.status_code)
    assert statuses[:6] == [401] * 6  # a few typos cost nothing; the sixth starts a wait
    assert statuses[6] == 429
    waited = await client.post("/api/v1/auth/token", data={"username": "cadre", "password": "x"})
    assert waited.json()["code"] == "rate_limited" and int(waited.headers["Retry-After"]) >= 1
    # Even the right password waits at this address; at the admin's own it goes through.
    same = await client.post(
        "/api/v1/auth/token", data={"username": "cadre", "password": "right-password-1"}
    )
    assert same.status_code == 429
    elsewhere = httpx.ASGITransport(app=app, client=("10.20.30.40", 5555))
    async with httpx.AsyncClient(transport=elsewhere, base_url="http://test") as office:
        ok = await office.post(
            "/api/v1/auth/token", data={"username": "cadre", "password": "right-password-1"}
        )
    assert ok.status_code == 200, ok.text


async def test_a_village_behind_one_ip_can_log_in(client: httpx.AsyncClient) -> None:
    """Carrier NAT puts a whole village behind one address: 60 logins a minute must pass."""
    for i in range(60):
        r = await client.post("/api/v1/auth/wechat-login", json={"code": f"villager-{i}"})
        assert r.status_code == 200, (i, r.text)


async def test_two_phones_binding_one_person_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    phone = (await client.get("/api/v1/me", headers=world.auth("v2_villager"))).json()["phone"]
    phones = [await wechat_login(client, f"racer-{i}") for i in range(4)]
    results = await asyncio.gather(
        *[
            client.post(
                "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(p["access_token"])
            )
            for p in phones
        ]
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409, 409, 409], [r.text for r in results]
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"auth.already_bound"}


async def test_an_unbound_phone_is_told_to_bind_before_acting(
    client: httpx.AsyncClient, world: World
) -> None:
    """A WeChat login not yet bound to the roster may look, but not check in, post or scan."""
    event = await make_event(client, world)
    unbound = bearer((await wechat_login(client, "not-yet-bound"))["access_token"])
    checkin = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": await token_for(client, world, event["id"])},
        headers=unbound,
    )
    assert checkin.status_code == 403
    assert checkin.json()["code"] == "auth.not_bound"
    assert checkin.json()["detail"] == "请先绑定手机号，再签到。"
    post = await client.post(
        "/api/v1/posts", json={"category": "news", "title": "标题", "body": "正文"}, headers=unbound
    )
    assert post.status_code == 403 and post.json()["code"] == "auth.not_bound"
    assert post.json()["detail"] == "请先绑定手机号，再发布信息。"


async def test_a_logout_survives_a_redis_restart(client: httpx.AsyncClient, app: FastAPI) -> None:
    """Redis keeps nothing on disk: a logout held only there came back to life after a restart."""
    tokens = await wechat_login(client, "leaves-then-redis-restarts")
    out = await client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert out.status_code == 204
    await app.state.cache.flushdb()  # what a Redis restart leaves
    me = await client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401 and me.json()["code"] == "auth.session_revoked"

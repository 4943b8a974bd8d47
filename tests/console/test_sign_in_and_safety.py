"""The console's door: sign-in with the API's accounts, a cookie the browser keeps to itself,
CSRF on every write, the headers that keep it out of frames and away from inline script, and
sessions that end on logout, when idle and at their lifetime."""

import time

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt

from app.console import sessions
from app.console.vendor import mismatches
from tests.helpers.console import PASSWORD, field, give_login, sign_in
from tests.helpers.factories import World


def replace_cookie(browser: httpx.AsyncClient, value: str) -> None:
    """Puts another session cookie in the jar where the server's own was."""
    kept = next(c for c in browser.cookies.jar if c.name == sessions.COOKIE)
    browser.cookies.set(sessions.COOKIE, value, domain=kept.domain, path=kept.path)


@pytest.fixture
async def browser(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_a_page_without_a_session_sends_the_admin_to_sign_in(
    browser: httpx.AsyncClient,
) -> None:
    r = await browser.get("/console/")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"
    r = await browser.get("/console/people?q=1")
    assert r.headers["location"] == "/console/login?next=/console/people"


async def test_sign_in_sets_a_private_cookie_and_a_wrong_password_is_told_in_chinese(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    username = await give_login(client, world, "v1_admin")
    wrong = await sign_in(browser, username, "not-the-password")
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    assert sessions.COOKIE not in browser.cookies
    r = await sign_in(browser, username)
    assert r.status_code == 303 and r.headers["location"] == "/console/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("xz_console="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    page = await browser.get("/console/")
    assert page.status_code == 200
    assert "工作台" in page.text and "一村" in page.text


async def test_the_login_form_refuses_a_post_from_elsewhere(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    username = await give_login(client, world, "v1_admin")
    r = await browser.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": "forged"},
    )
    assert r.status_code == 403
    assert sessions.COOKIE not in browser.cookies


async def test_every_write_needs_the_pages_csrf_token(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    await sign_in(browser, await give_login(client, world, "v1_admin"))
    page = await browser.get("/console/notices")
    token = field(page.text, "csrf_token")
    body = {"title": "停水通知", "body": "明天上午停水。", "once": "a1"}
    refused = await browser.post("/console/notices", data=body)
    assert refused.status_code == 403
    assert "页面已过期" in refused.text
    forged = await browser.post("/console/notices", data={**body, "csrf_token": "0" * 40})
    assert forged.status_code == 403
    sent = await browser.post("/console/notices", data={**body, "csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/console/notices/")
    # htmx sends it in a header instead of the form.
    preview = await browser.post(
        "/console/notices/preview",
        data={"title": "预览", "body": "内容"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert preview.status_code == 200 and "预览" in preview.text


async def test_pages_forbid_frames_and_inline_script(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    await sign_in(browser, await give_login(client, world, "v1_admin"))
    for path in ("/console/login", "/console/", "/console/people/999999"):
        r = await browser.get(path)
        csp = r.headers["content-security-policy"]
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert "<script>" not in r.text  # every script is a file
    assert (await browser.get("/console/people/999999")).status_code == 404


async def test_logout_ends_the_session_for_a_copied_cookie_too(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    await sign_in(browser, await give_login(client, world, "v1_admin"))
    copied = browser.cookies[sessions.COOKIE]
    page = await browser.get("/console/")
    out = await browser.post("/console/logout", data={"csrf_token": field(page.text, "csrf_token")})
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    browser.cookies.set(sessions.COOKIE, copied, domain="test.local", path="/console")
    again = await browser.get("/console/")
    assert again.status_code == 303 and again.headers["location"] == "/console/login"


async def test_an_idle_or_old_session_is_over(
    app: FastAPI, client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    settings = app.state.settings
    await sign_in(browser, await give_login(client, world, "v1_admin"))
    claims = jwt.get_unverified_claims(browser.cookies[sessions.COOKIE])
    now = int(time.time())

    def forged(started: int, seen: int) -> str:
        return jwt.encode(
            {**claims, "started": started, "seen": seen}, settings.jwt_secret, algorithm="HS256"
        )

    idle = now - settings.console_idle_minutes * 60 - 5
    for started, seen in ((idle, idle), (now - settings.console_max_hours * 3600 - 5, now)):
        replace_cookie(browser, forged(started, seen))
        r = await browser.get("/console/")
        assert r.status_code == 303, (started, seen)
    # Still fresh: the page opens and the cookie is renewed for another idle period.
    replace_cookie(browser, forged(now - 600, now - 120))
    r = await browser.get("/console/")
    assert r.status_code == 200
    renewed = jwt.get_unverified_claims(browser.cookies[sessions.COOKIE])
    assert renewed["seen"] >= now and renewed["started"] == now - 600


async def test_a_person_without_an_admin_role_is_told_so_and_can_sign_out(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    await sign_in(browser, await give_login(client, world, "g1_worker"))
    r = await browser.get("/console/")
    assert r.status_code == 403
    assert "没有管理后台的权限" in r.text
    # A shared office laptop: whoever signed in here can still sign out.
    out = await browser.post("/console/logout", data={"csrf_token": field(r.text, "csrf_token")})
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert (await browser.get("/console/")).headers["location"] == "/console/login"


def test_vendored_scripts_are_the_pinned_versions() -> None:
    assert mismatches() == []


async def test_guessing_at_the_console_slows_down_like_the_apis_login(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, world: World
) -> None:
    username = await give_login(client, world, "v1_admin")
    answers = [(await sign_in(browser, username, f"guess-{n}")).status_code for n in range(7)]
    assert answers[:6] == [401] * 6  # five free, the sixth earns the first wait
    slowed = await sign_in(browser, username)
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) > 0
    assert "尝试太多次" in slowed.text and sessions.COOKIE not in browser.cookies

"""Debian's Chromium driven by Playwright, as the console's browser tests share it: the browser
fixture, a signed-in page that records every outside request, CSP report and script error, and
the demo town's logins on the API."""

import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PASSWORD = "xiangzhi-demo"


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert CHROMIUM, "chromium is installed by .ci/run"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def signed_in(browser: Browser, base: str, username: str, problems: list[str]) -> Page:
    own = urlsplit(base).netloc
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()

    def request(r: object) -> None:
        parts = urlsplit(getattr(r, "url", ""))
        if parts.scheme in ("http", "https") and parts.netloc != own:
            problems.append(f"outside: {parts.geturl()}")

    def console(message: object) -> None:
        text = getattr(message, "text", "")
        if "Content Security Policy" in text or getattr(message, "type", "") == "error":
            problems.append(text)

    page.on("request", request)
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def api_login(base: str, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def villager(base: str, phone: str) -> dict[str, str]:
    """A villager on the phone: WeChat login (mock), then the phone bound."""
    login = httpx.post(f"{base}/api/v1/auth/wechat-login", json={"code": f"shop-{phone}"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    version = httpx.get(f"{base}/api/v1/privacy").json()["version"]
    agreed = httpx.post(
        f"{base}/api/v1/me/privacy-consent", json={"version": version}, headers=headers
    )
    assert agreed.status_code == 200, agreed.text
    bound = httpx.post(f"{base}/api/v1/auth/bind-phone", json={"code": phone}, headers=headers)
    assert bound.status_code == 200, bound.text
    return headers

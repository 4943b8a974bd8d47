"""/docs and /redoc open in a real browser (Debian's chromium, driven by Playwright) with no
request to any other host leaving the browser: the console works in a county office with no
way out. Requests the page's Content-Security-Policy stops never reach the network."""

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = shutil.which("chromium")
# As the machine's browser runs headless as root, with nothing of its own phoning home.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.parametrize(("page_path", "rendered"), [("/docs", ".opblock"), ("/redoc", "h1")])
def test_the_console_loads_nothing_from_outside(
    served: tuple[str, str],
    page_path: str,
    rendered: str,
) -> None:
    assert CHROMIUM, "chromium is installed by .ci/run"
    base, _ = served
    own = urlsplit(base).netloc
    requested: list[str] = []
    blocked: list[str] = []

    def failed(url: str, reason: str | None) -> None:
        # "csp": stopped by the page's policy inside the browser; anything else went out.
        (blocked if reason == "csp" else requested).append(url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.on("requestfinished", lambda request: requested.append(request.url))
            page.on("requestfailed", lambda request: failed(request.url, request.failure))
            page.goto(base + page_path, wait_until="networkidle")
            page.wait_for_selector(rendered, timeout=20_000)
            text = page.inner_text("body")
        finally:
            browser.close()
    outside = [
        url
        for url in requested
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own
    ]
    assert not outside, f"{page_path} asked other hosts: {outside}"
    # ReDoc's bundle tries its maker's logo from a CDN; the page's policy stops it in the browser.
    assert all(urlsplit(url).netloc != own for url in blocked)
    assert any(u.endswith("/openapi.json") for u in requested)
    assert "积分超市" in text  # the Chinese tags made it into the page

"""Every console page, drawn with the demo town in Debian's Chromium at the county office's
1366×768, into ``docs/console/*.png``: ``make screenshots``, then open the PNGs.

    python -m tools.screenshots [--out docs/console]

Starts its own server on a fresh embedded database with the demo data, signs in as the demo
village secretary (and the town organiser for the town's view), and visits each page.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--lang=zh-CN",
]
PASSWORD = "xiangzhi-demo"

# (file name, who, path, what must be on the page before the picture is taken)
PAGES = (
    ("login", None, "/console/login", "form"),
    ("workbench", "village1_admin", "/console/", "[data-drawn]"),
    ("queues", "village1_admin", "/console/queues", ".queue-list"),
    ("queue-points", "village1_admin", "/console/queues/points", "main table, .empty"),
    ("queue-posts", "village1_admin", "/console/queues/posts", "main table, .empty"),
    ("queue-service-requests", "village1_admin", "/console/queues/service-requests", "main"),
    ("people-search", "village1_admin", "/console/people?q=0005", "#people-rows"),
    ("person", "village1_admin", "/console/people/5", ".card"),
    ("households", "village1_admin", "/console/households", "table"),
    ("roster-import", "village1_admin", "/console/roster-import", "form.upload"),
    ("notices", "village1_admin", "/console/notices", "form"),
    ("audit", "village1_admin", "/console/audit", "table.audit"),
    ("events-calendar", "village1_admin", "/console/events", "table.calendar"),
    ("event-new", "village1_admin", "/console/events/new", "form.event-form"),
    ("event", "village1_admin", "/console/events/1", "#board"),
    ("minutes", "town_admin", "/console/minutes", "main table"),
    ("party-groups", "village1_admin", "/console/party-groups", "main form"),
    ("papers", "village1_admin", "/console/papers", "table.papers"),
    ("grid", "village1_admin", "/console/grid", ".board-columns"),
    ("grid-task", "village1_admin", "/console/grid/tasks/1", ".before-after"),
    ("volunteer", "village1_admin", "/console/volunteer", "main table"),
    ("rules", "village1_admin", "/console/rules", "table.rules"),
    ("ledger", "town_admin", "/console/ledger", "main .card"),
    ("development", "village1_admin", "/console/development", "table.cases"),
    ("members", "town_admin", "/console/members", "#transfers"),
    ("organisation", "town_admin", "/console/organisation", "main .card"),
    ("counter", "village1_shop", "/console/counter", ".code-form"),
    ("counter-report", "village1_shop", "/console/counter/report", ".figures"),
    ("dues", "village1_admin", "/console/dues", "#book"),
    ("workbench-town", "town_admin", "/console/", "[data-drawn]"),
    ("town", "town_admin", "/console/town", "#chart-heat[data-drawn]"),
    ("health", "town_admin", "/console/health", ".health-map"),
    ("flags", "village1_supervisor", "/console/flags", "section.flag"),
    ("village-from-town", "town_admin", "/console/?village_id=2", "[data-drawn]"),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XZ_")}
        env["XZ_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/demo.db"
        xz = [sys.executable, "-m", "app.cli"]
        for step in (["migrate"], ["seed-demo"]):
            subprocess.run([*xz, *step], env=env, cwd=ROOT, check=True, capture_output=True)
        port = _free_port()
        with open(Path(folder) / "serve.log", "wb") as log:
            proc = subprocess.Popen(
                [*xz, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=log
            )
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.2)
                    if time.monotonic() > deadline:
                        raise SystemExit("服务没有启动")
                yield base
            finally:
                proc.terminate()
                proc.wait(timeout=10)


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/**")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="管理后台各页面截图")
    parser.add_argument("--out", default=str(ROOT / "docs" / "console"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("需要 Debian 的 chromium（apt-get install chromium）")
    with demo_server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        signed_in: dict[str | None, Page] = {}
        try:
            for name, who, path, ready in PAGES:
                if who not in signed_in:
                    context = browser.new_context(
                        viewport={"width": 1366, "height": 768}, locale="zh-CN"
                    )
                    signed_in[who] = context.new_page()
                    if who is not None:
                        sign_in(signed_in[who], base, who)
                page = signed_in[who]
                page.goto(base + path)
                page.wait_for_selector(ready, timeout=20_000)
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()

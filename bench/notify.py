"""A notice to 5,000 people of one village, on PostgreSQL + Redis with one service worker and
one job worker: the time until every inbox row exists and every WeChat send has been tried
against a fake WeChat server on loopback, and GET /api/v1/me's p99 meanwhile against its p99
at rest. Aim: under 60 s, and the p99 under 2× the idle one.

    python -m bench.notify [--people 5000] [--concurrency 8]

Prints one JSON line and appends it to ``bench/results/notify.jsonl``.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.harness import ROOT, console_login, free_port, load, record, scratch_database, server

TEMPLATES = {
    "notice": {
        "template_id": "BENCH-NOTICE",
        "title": "通知公告",
        "fields": {"thing1": "title", "thing2": "body", "time3": "time"},
    }
}


class FakeWechat:
    """Only what the delivery needs: a token and subscribe sends, counted."""

    def __init__(self) -> None:
        self.sends = 0

    async def token(self, request: Request) -> JSONResponse:
        return JSONResponse({"access_token": "bench-token", "expires_in": 7200})

    async def send(self, request: Request) -> JSONResponse:
        await request.json()
        self.sends += 1
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": self.sends})

    def start(self) -> str:
        app = Starlette(
            routes=[
                Route("/cgi-bin/stable_token", self.token, methods=["POST"]),
                Route("/cgi-bin/message/subscribe/send", self.send, methods=["POST"]),
            ]
        )
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        threading.Thread(target=uvicorn.Server(config).run, daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.post(f"{url}/cgi-bin/stable_token", timeout=1)
                return url
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("fake WeChat did not start")


async def villagers(dsn: str, people: int) -> None:
    """``people`` villagers of demo village 1, each signed in with WeChat and one grant."""
    conn = await asyncpg.connect(dsn)
    try:
        town, village = await conn.fetchrow("SELECT town_id, id FROM villages ORDER BY id LIMIT 1")
        now = datetime.now(UTC)
        ids = await conn.fetch(
            "INSERT INTO people (name, phone, town_id, village_id, is_party_member,"
            " is_mobile_member, created_at)"
            " SELECT '村民' || g, (15000000000 + g)::text, $1, $2, false, false, $3"
            " FROM generate_series(1, $4) g RETURNING id",
            town,
            village,
            now,
            people,
        )
        await conn.executemany(
            "INSERT INTO user_accounts (person_id, openid, created_at) VALUES ($1, $2, $3)",
            [(r["id"], f"bench-{r['id']}", now) for r in ids],
        )
        await conn.executemany(
            "INSERT INTO notification_quotas (person_id, kind, remaining, long_term, updated_at)"
            " VALUES ($1, 'notice', 1, false, $2)",
            [(r["id"], now) for r in ids],
        )
    finally:
        await conn.close()


async def settled(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*), count(*) FILTER (WHERE wechat = 'pending') FROM notifications"
            " WHERE kind = 'notice'"
        )
        return int(row[0]), int(row[1])
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    fake = FakeWechat()
    fake_url = fake.start()
    xiangzhi = [sys.executable, "-m", "app.cli"]
    with scratch_database("xz_bench_notify") as base:
        env = {
            **base,
            "XZ_WECHAT_MODE": "live",
            "XZ_WECHAT_APPID": "wx-bench",
            "XZ_WECHAT_SECRET": "bench-secret",
            "XZ_WECHAT_API_BASE": fake_url,
            "XZ_WECHAT_TEMPLATES": json.dumps(TEMPLATES),
        }
        subprocess.run([*xiangzhi, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        asyncio.run(villagers(env["BENCH_PG_DSN"], args.people))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        worker = subprocess.Popen(
            [*xiangzhi, "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with server([*xiangzhi, "serve", "--port", str(port)], env, f"{url}/healthz"):
                token = console_login(url)["access_token"]
                idle = load(f"{url}/api/v1/me", token, args.concurrency, 5)
                result: dict[str, Any] = {}

                def send_and_wait() -> None:
                    started = time.monotonic()
                    notice = httpx.post(
                        f"{url}/api/v1/admin/notices",
                        json={"title": "停水通知", "body": "明早 8 点至 12 点停水检修。"},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=120,
                    )
                    notice.raise_for_status()
                    result["notice_request_s"] = round(time.monotonic() - started, 2)
                    result["recipients"] = notice.json()["recipients"]
                    while True:
                        rows, pending = asyncio.run(settled(env["BENCH_PG_DSN"]))
                        if rows >= result["recipients"] and pending == 0:
                            break
                        if time.monotonic() - started > 300:
                            raise RuntimeError(f"still {pending} pending after 300 s")
                        time.sleep(0.2)
                    result["all_sent_s"] = round(time.monotonic() - started, 2)
                    result["wechat_attempts"] = fake.sends

                waiter = threading.Thread(target=send_and_wait)
                waiter.start()
                busy = load(f"{url}/api/v1/me", token, args.concurrency, 20)
                waiter.join()
        finally:
            worker.terminate()
            worker.wait(timeout=10)
    line = json.dumps(
        {
            "bench": "notice to a village",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "people": args.people,
            **result,
            "me_p99_idle_ms": idle["p99_ms"],
            "me_p99_during_ms": busy["p99_ms"],
            "me_p99_ratio": round(busy["p99_ms"] / idle["p99_ms"], 2),
        },
        ensure_ascii=False,
    )
    print(line)
    record("notify", line)


if __name__ == "__main__":
    main()

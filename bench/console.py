"""Time per console page on the demo town, on PostgreSQL + Redis with one worker: the workbench
and a queue of 50 items (the page's whole size), each fetched one at a time as an admin does.

    python -m bench.console [--requests 200]

Goal (issue 29): p95 under 50 ms for the workbench and the 50-item queue. Creates and drops
the database ``xz_bench_console``; prints one JSON line and appends it to
``bench/results/console.jsonl``.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx

from bench.harness import ROOT, console_login, free_port, record, scratch_database, server

SEARCH = "/console/people?q=0005"
PAGES = {
    "workbench": "/console/",
    "queue_points_50": "/console/queues/points",
    "people_search": SEARCH,
    "audit": "/console/audit",
}


def _pending(url: str, token: str, count: int) -> None:
    """``count`` awards that wait for approval, so the points queue shows a full page."""
    town = {"Authorization": f"Bearer {console_login(url, 'town_admin')['access_token']}"}
    me = httpx.get(f"{url}/api/v1/me", headers=town).json()
    rule = httpx.post(
        f"{url}/api/v1/admin/scoring-rules",
        json={
            "code": "bench_help",
            "title": "邻里互助（待审核）",
            "ledger": "member",
            "points": 3,
            "unit": "once",
            "requires_approval": True,
            "town_id": me["roles"][0]["scope_id"],
        },
        headers=town,
    )
    rule.raise_for_status()
    headers = {"Authorization": f"Bearer {token}"}
    people = httpx.get(f"{url}/api/v1/admin/people?limit=100", headers=headers).json()["items"]
    for i in range(count):
        person = people[i % len(people)]
        r = httpx.post(
            f"{url}/api/v1/admin/points/entries",
            json={
                "rule_code": "bench_help",
                "account_owner": {"person_id": person["id"]},
                "note": f"基准测试 {i}",
            },
            headers=headers,
        )
        assert r.status_code == 201, r.text


def _sign_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url)
    form = client.get("/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]*)"', form)
    assert token
    done = client.post(
        "/console/login",
        data={
            "username": "village1_admin",
            "password": "xiangzhi-demo",
            "csrf_token": token.group(1),
        },
    )
    assert done.status_code == 303, done.text
    return client


def _times(client: httpx.Client, path: str, requests: int) -> dict[str, float]:
    for _ in range(5):  # warm: the first read of each statement is prepared
        client.get(path).raise_for_status()
    spent = []
    for _ in range(requests):
        began = time.perf_counter()
        answer = client.get(path)
        spent.append((time.perf_counter() - began) * 1000)
        answer.raise_for_status()
    spent.sort()
    return {
        "p50_ms": round(statistics.median(spent), 2),
        "p95_ms": round(spent[int(len(spent) * 0.95) - 1], 2),
        "max_ms": round(spent[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    xiangzhi = [sys.executable, "-m", "app.cli"]
    with scratch_database("xz_bench_console") as env:
        subprocess.run([*xiangzhi, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with server([*xiangzhi, "serve", "--port", str(port)], env, f"{url}/healthz"):
            _pending(url, console_login(url)["access_token"], 50)
            client = _sign_in(url)
            try:
                timings = _measure(client, args.requests)
            finally:
                client.close()
    result = {
        "bench": "console pages, one admin, loopback round trip",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests": args.requests,
        "pages": timings,
        "goal_p95_ms": 50,
        "met": all(timings[p]["p95_ms"] < 50 for p in ("workbench", "queue_points_50")),
    }
    line = json.dumps(result, ensure_ascii=False)
    print(line)
    record("console", line)


def _measure(client: httpx.Client, requests: int) -> dict[str, dict[str, float]]:
    rows = client.get("/console/queues/points").text.count('<tr id="item-')
    assert rows == 50, f"the queue shows {rows} items, not a page of 50"
    found = re.search(r'href="/console/people/(\d+)"', client.get(SEARCH).text)
    assert found
    pages = {**PAGES, "person": f"/console/people/{found.group(1)}"}
    return {name: _times(client, path, requests) for name, path in pages.items()}


if __name__ == "__main__":
    main()

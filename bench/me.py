"""GET /api/v1/me against a bare asyncpg baseline, on PostgreSQL + Redis with one worker each.

    python -m bench.me [--seconds 10] [--concurrency 32]

Creates (and drops afterwards) the database ``xz_bench_me``, migrates it, seeds the demo town,
starts the service and the baseline as separate uvicorn processes, and drives each with
``bench/load.py`` from a third process. Prints one JSON line and appends it to
``bench/results/me.jsonl``.
"""

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime

import httpx

from bench.harness import ROOT, free_port, load, record, scratch_database, server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    xiangzhi = [sys.executable, "-m", "app.cli"]
    with scratch_database("xz_bench_me") as env:
        subprocess.run([*xiangzhi, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        app_port, base_port = free_port(), free_port()
        app_url = f"http://127.0.0.1:{app_port}"
        with server([*xiangzhi, "serve", "--port", str(app_port)], env, f"{app_url}/healthz"):
            login = httpx.post(
                f"{app_url}/api/v1/auth/token",
                data={"username": "village1_admin", "password": "xiangzhi-demo"},
            )
            login.raise_for_status()
            body = login.json()
            token, account_id = body["access_token"], body["user"]["account_id"]
            service = load(f"{app_url}/api/v1/me", token, args.concurrency, args.seconds)
        base_env = {**env, "BENCH_ACCOUNT_ID": str(account_id)}
        base_url = f"http://127.0.0.1:{base_port}"
        baseline_cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline_app:app",
            "--port",
            str(base_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        with server(baseline_cmd, base_env, base_url):
            baseline = load(base_url, None, args.concurrency, args.seconds)

    result = {
        "bench": "GET /api/v1/me",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "service": service,
        "baseline": baseline,
        "rps_ratio": round(service["rps"] / baseline["rps"], 3),
    }
    line = json.dumps(result, ensure_ascii=False)
    print(line)
    record("me", line)


if __name__ == "__main__":
    main()

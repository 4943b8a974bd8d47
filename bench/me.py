"""GET /api/v1/me against a bare asyncpg baseline, on PostgreSQL + Redis with one worker each.

    python -m bench.me [--seconds 10] [--concurrency 32]

Creates (and drops afterwards) the database ``xz_bench_me``, migrates it, seeds the demo town,
starts the service and the baseline as separate uvicorn processes, and drives each with
``bench/load.py`` from a third process. Prints one JSON line and appends it to
``bench/results/me.jsonl``.
"""

import argparse
import subprocess
import sys

from bench.harness import (
    ROOT,
    baseline_load,
    console_login,
    free_port,
    load,
    record_comparison,
    scratch_database,
    server,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    xiangzhi = [sys.executable, "-m", "app.cli"]
    with scratch_database("xz_bench_me") as env:
        subprocess.run([*xiangzhi, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        app_port = free_port()
        app_url = f"http://127.0.0.1:{app_port}"
        with server([*xiangzhi, "serve", "--port", str(app_port)], env, f"{app_url}/healthz"):
            body = console_login(app_url)
            token, account_id = body["access_token"], body["user"]["account_id"]
            service = load(f"{app_url}/api/v1/me", token, args.concurrency, args.seconds)
        base_env = {**env, "BENCH_ACCOUNT_ID": str(account_id)}
        baseline = baseline_load("baseline_app", base_env, args.concurrency, args.seconds)

    record_comparison(
        "me",
        "GET /api/v1/me",
        service,
        baseline,
        concurrency=args.concurrency,
        seconds=args.seconds,
    )


if __name__ == "__main__":
    main()

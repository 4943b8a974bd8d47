"""Shared by the benchmarks: a scratch PostgreSQL database, migrated, and the environment
that points the service at it."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


def psql(sql: str, database: str = "postgres") -> None:
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True)


@contextmanager
def scratch_database(name: str) -> Iterator[dict[str, str]]:
    """Creates, migrates and finally drops ``name``; yields the service's environment."""
    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    dsn = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    env = {
        **os.environ,
        "XZ_DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "XZ_REDIS_URL": REDIS_URL,
        "XZ_LOG_LEVEL": "WARNING",
        "BENCH_PG_DSN": dsn,
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        yield env
    finally:
        psql(f"DROP DATABASE IF EXISTS {name}")


def record(name: str, line: str) -> None:
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    with (results / f"{name}.jsonl").open("a", encoding="utf-8") as f:
        f.write(line + "\n")

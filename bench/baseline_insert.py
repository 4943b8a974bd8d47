"""The bare baseline for the check-in burst: one INSERT per request with asyncpg."""

from typing import Any

import asyncpg

from bench.baseline_asgi import baseline


async def _table(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS bench_checkins"
        " (id serial PRIMARY KEY, token text, at timestamptz)"
    )


async def _check_in(pool: asyncpg.Pool, scope: dict[str, Any]) -> tuple[int, Any]:
    headers = dict(scope["headers"])
    row = await pool.fetchrow(
        "INSERT INTO bench_checkins (token, at) VALUES ($1, now()) RETURNING id",
        headers.get(b"authorization", b"").decode()[-16:],
    )
    return 201, {"id": row["id"], "status": "present"}


app = baseline(_check_in, max_size=20, setup=_table)

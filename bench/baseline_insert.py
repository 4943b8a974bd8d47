"""The bare baseline for the check-in burst: one INSERT per request with asyncpg."""

import os
from typing import Any

import asyncpg

DSN = os.environ["BENCH_PG_DSN"]
_pool: asyncpg.Pool | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(DSN, min_size=5, max_size=20)
                await _pool.execute(
                    "CREATE TABLE IF NOT EXISTS bench_checkins "
                    "(id serial PRIMARY KEY, token text, at timestamptz)"
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = dict(scope["headers"])
    assert _pool is not None
    row = await _pool.fetchrow(
        "INSERT INTO bench_checkins (token, at) VALUES ($1, now()) RETURNING id",
        headers.get(b"authorization", b"").decode()[-16:],
    )
    body = b'{"id": %d, "status": "present"}' % row["id"]
    await send(
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})

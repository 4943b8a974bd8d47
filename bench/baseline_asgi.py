"""What every bare baseline shares: an asyncpg pool opened at start-up and a bare ASGI callable
that answers each request with the JSON one handler returns. No framework, no auth."""

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

Handler = Callable[[asyncpg.Pool, dict[str, Any]], Awaitable[tuple[int, Any]]]
Setup = Callable[[asyncpg.Pool], Awaitable[None]]


def baseline(handler: Handler, *, max_size: int = 10, setup: Setup | None = None) -> Any:
    pool: asyncpg.Pool | None = None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal pool
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    pool = await asyncpg.create_pool(
                        os.environ["BENCH_PG_DSN"], min_size=5, max_size=max_size
                    )
                    if setup is not None:
                        await setup(pool)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if pool is not None:
                        await pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert pool is not None
        status, answer = await handler(pool, scope)
        body = json.dumps(answer, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app

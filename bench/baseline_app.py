"""The bare baseline: a minimal ASGI app doing /me's database reads with asyncpg, nothing else."""

import json
import os
from typing import Any

import asyncpg

DSN = os.environ["BENCH_PG_DSN"]
ACCOUNT_ID = int(os.environ.get("BENCH_ACCOUNT_ID", "1"))
_pool: asyncpg.Pool | None = None


async def _me() -> dict[str, Any]:
    assert _pool is not None
    async with _pool.acquire() as conn:
        account = await conn.fetchrow("SELECT * FROM user_accounts WHERE id = $1", ACCOUNT_ID)
        person = await conn.fetchrow("SELECT * FROM people WHERE id = $1", account["person_id"])
        grants = await conn.fetch(
            "SELECT * FROM role_grants WHERE person_id = $1 AND revoked_at IS NULL", person["id"]
        )
        village = await conn.fetchrow("SELECT * FROM villages WHERE id = $1", person["village_id"])
    return {
        "account_id": account["id"],
        "name": person["name"],
        "roles": [g["role"] for g in grants],
        "village": village["name"] if village else None,
    }


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(DSN, min_size=5, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = json.dumps(await _me(), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})

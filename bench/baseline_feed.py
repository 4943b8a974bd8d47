"""The bare baseline for the feed: a minimal ASGI app making the feed's reads with asyncpg."""

import json
import os
from typing import Any

import asyncpg

DSN = os.environ["BENCH_PG_DSN"]
TOWN_ID = int(os.environ["BENCH_TOWN_ID"])
VILLAGE_ID = int(os.environ["BENCH_VILLAGE_ID"])
_pool: asyncpg.Pool | None = None

# What the service reads for a village admin's first page: published posts of the town (town-wide
# or their village), pinned first, newest first, one more than the page to know if there is a next.
_POSTS = """
SELECT id, town_id, village_id, title, body, category, disclosure_period, status, pin_rank,
       like_count, view_count, media_ids, published_at, created_at
FROM posts
WHERE town_id = $1 AND status = 'published' AND (village_id IS NULL OR village_id = $2)
ORDER BY pin_rank DESC, published_at DESC, id DESC
LIMIT 21
"""
_MEDIA = "SELECT id, display_key, thumb_key, moderation FROM media WHERE id = ANY($1::int[])"


async def _feed() -> dict[str, Any]:
    assert _pool is not None
    async with _pool.acquire() as conn:
        posts = await conn.fetch(_POSTS, TOWN_ID, VILLAGE_ID)
        ids = sorted({m for p in posts for m in json.loads(p["media_ids"])})
        media = {m["id"]: m for m in await conn.fetch(_MEDIA, ids)}
    items = []
    for p in posts[:20]:
        items.append(
            {
                "id": p["id"],
                "title": p["title"],
                "body": p["body"],
                "category": p["category"],
                "pinned": bool(p["pin_rank"]),
                "like_count": p["like_count"],
                "media": [
                    {"id": m, "url": f"/media/{media[m]['display_key']}"}
                    for m in json.loads(p["media_ids"])
                    if m in media and media[m]["moderation"] != "risky"
                ],
                "published_at": p["published_at"].isoformat(),
            }
        )
    return {"items": items, "next_cursor": "x" if len(posts) > 20 else None}


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
    body = json.dumps(await _feed(), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""The bare baseline for the feed: a minimal ASGI app making the feed's reads with asyncpg."""

import json
import os
from typing import Any

import asyncpg

from bench.baseline_asgi import baseline

TOWN_ID = int(os.environ["BENCH_TOWN_ID"])
VILLAGE_ID = int(os.environ["BENCH_VILLAGE_ID"])

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


async def _feed(pool: asyncpg.Pool, scope: dict[str, Any]) -> tuple[int, Any]:
    async with pool.acquire() as conn:
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
    return 200, {"items": items, "next_cursor": "x" if len(posts) > 20 else None}


app = baseline(_feed)

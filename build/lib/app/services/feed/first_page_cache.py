"""The feed's first page, cached a few seconds for everyone who would see the same one.

Most reads of the feed are its first page, and it is the same for everyone of one village
with the same grants. It is cached as the answer's JSON for ``SECONDS`` under a version that any
commit publishing, reviewing, moderating or removing a post (or a photo's moderation) bumps,
so a change is seen at the next request; likes and views are counted elsewhere and never
wait for it (the page's counts may lag by those seconds). A scheduled post appears within
the seconds after its time.
"""

import hashlib
import logging
from dataclasses import dataclass

from redis.exceptions import RedisError

from app.cache import Cache
from app.db import cache_versions
from app.models.feed import Category, Post
from app.models.media import Media
from app.services.identity import Principal

log = logging.getLogger("xiangzhi.feed")

SECONDS = 5
VERSION_KEY = "xz:feed:version"


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one first page is cached."""

    key: str


def slot(
    *,
    principal: Principal,
    home: tuple[int | None, int | None],
    category: Category | None,
    village_id: int | None,
    limit: int,
) -> Slot:
    grants = sorted(f"{g.role}:{g.scope_type}:{g.scope_id}" for g in principal.grants)
    shape = f"{home}|{grants}|{category}|{village_id}|{limit}"
    digest = hashlib.blake2b(shape.encode(), digest_size=12).hexdigest()
    return Slot(key=f"xz:feed:first:{digest}")


async def read(cache: Cache, wanted: Slot) -> tuple[str, bytes | None]:
    """The current version, and the cached page's JSON if it was cached under it (one trip)."""
    try:
        version, raw = await cache.mget(VERSION_KEY, wanted.key)
    except RedisError:
        log.warning("feed cache unavailable; reading the database")
        return "", None
    version = str(version or "0")
    return version, cache_versions.body_if_current(raw, version)


async def write(cache: Cache, wanted: Slot, version: str, body: bytes) -> None:
    await cache_versions.write(cache, wanted.key, version, body, SECONDS)


# Likes and views are counted elsewhere; a new photo shows only through its post.
cache_versions.watch(
    VERSION_KEY,
    {
        Post: cache_versions.Watched(ignore=frozenset({"like_count", "view_count"})),
        Media: cache_versions.Watched(new=False),
    },
)

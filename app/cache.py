"""Redis when ``XZ_REDIS_URL`` is set, else an in-process stand-in with the same API."""

from typing import Any

import redis.asyncio as redis_asyncio
from fakeredis import FakeAsyncRedis

Cache = redis_asyncio.Redis


def create_cache(redis_url: str | None) -> Cache:
    if redis_url:
        client: Any = redis_asyncio.from_url(redis_url, decode_responses=True)
        return client  # type: ignore[no-any-return]
    stand_in: Any = FakeAsyncRedis(decode_responses=True)
    return stand_in  # type: ignore[no-any-return]

"""Redis when ``XZ_REDIS_URL`` is set, else an in-process stand-in with the same API."""

from typing import cast

import redis.asyncio as redis_asyncio
from fakeredis import FakeAsyncRedis

Cache = redis_asyncio.Redis


def create_cache(redis_url: str | None) -> Cache:
    if redis_url:
        return cast(Cache, redis_asyncio.Redis.from_url(redis_url, decode_responses=True))
    return cast(Cache, FakeAsyncRedis(decode_responses=True))

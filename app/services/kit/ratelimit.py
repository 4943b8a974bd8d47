"""Fixed-window counters in Redis, shared by every worker."""

from app.cache import Cache
from app.errors import TooManyRequests


async def hit(cache: Cache, *, bucket: str, limit: int, window_seconds: int = 60) -> None:
    key = f"rl:{bucket}"
    async with cache.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    if int(count) > limit:
        raise TooManyRequests(retry_after=int(ttl) if int(ttl) > 0 else window_seconds)

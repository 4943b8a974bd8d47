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


async def wait_out(cache: Cache, *, bucket: str) -> None:
    """Refuses while a back-off earned by failures on this bucket lasts."""
    left = int(await cache.ttl(f"bo:{bucket}:until"))
    if left > 0:
        raise TooManyRequests("尝试太多次，请稍后再试。", retry_after=left)


async def failed(
    cache: Cache, *, bucket: str, free: int, max_seconds: int, forget_after: int = 86_400
) -> None:
    """One more failure: past `free` of them, each doubles the wait (2, 4, 8 … seconds, up to
    `max_seconds`), which makes guessing slow without walling the rightful user out."""
    key = f"bo:{bucket}:n"
    # One transaction, as in hit(): a count left without its expiry would never be forgotten.
    async with cache.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, forget_after)
        count, _ = await pipe.execute()
    if int(count) > free:
        delay = min(2 ** min(int(count) - free, 20), max_seconds)
        await cache.set(f"bo:{bucket}:until", "1", ex=delay)


async def succeeded(cache: Cache, *, bucket: str) -> None:
    await cache.delete(f"bo:{bucket}:n", f"bo:{bucket}:until")

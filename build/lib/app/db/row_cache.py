"""Rows read once a minute, not once a request: the event and its scoring rule at a check-in
burst. Kept per database (an engine), so two databases in one process never see each other's
rows, and forgotten when this process changes them; another worker sees a change within the
minute, which is the staleness these rows can bear."""

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")
_ALL: "weakref.WeakSet[RowCache[Any]]" = weakref.WeakSet()


def forget_everything() -> None:
    """For a database emptied under a running process (the tests do, after each one): its ids
    start again from 1, and a cached row 1 would be another database's."""
    for cache in _ALL:
        cache.forget_all()


class RowCache(Generic[T]):
    def __init__(self, seconds: float = 60.0, size: int = 4096) -> None:
        self.seconds, self.size = seconds, size
        self._by_engine: weakref.WeakKeyDictionary[Any, dict[Hashable, tuple[float, T]]] = (
            weakref.WeakKeyDictionary()
        )
        self._loading: dict[tuple[int, Hashable], asyncio.Future[T]] = {}
        _ALL.add(self)

    def _held(self, session: AsyncSession) -> dict[Hashable, tuple[float, T]]:
        engine = session.bind.sync_engine if session.bind is not None else None
        if engine is None:
            return {}
        return self._by_engine.setdefault(engine, {})

    async def get(
        self, session: AsyncSession, key: Hashable, load: Callable[[], Awaitable[T]]
    ) -> T:
        held = self._held(session)
        now = time.monotonic()
        found = held.get(key)
        if found is not None and found[0] > now:
            return found[1]
        # The first hundred scans of a burst all miss at once: one of them reads, the others
        # wait for its answer instead of each taking a connection to read the same row.
        loading = self._loading.get((id(held), key))
        if loading is not None:
            try:
                return await asyncio.shield(loading)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # The reader was cancelled (its phone went away): read it here instead.
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._loading[id(held), key] = future
        try:
            value = await load()
        except Exception as failed:
            future.set_exception(failed)  # the same answer for all (an event that is not there)
            raise
        except BaseException:
            future.cancel()
            raise
        finally:
            self._loading.pop((id(held), key), None)
        future.set_result(value)
        if len(held) >= self.size:
            held.clear()  # a burst touches a few events; a full cache is old news
        held[key] = (now + self.seconds, value)
        return value

    def forget(self, session: AsyncSession, key: Hashable) -> None:
        """This process changed the row: the next reader reads it again."""
        self._held(session).pop(key, None)

    def forget_all(self) -> None:
        for held in self._by_engine.values():
            held.clear()

"""Work a request starts and its answer does not wait for (a 5,000-row roster import): run in
this process as a task with its own sessions, after the request's transaction has committed.

Nothing here is durable: work lost to a restart must leave the database as if it never began
and say so where the caller looks (the roster import marks itself failed; see its sweep)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.db import SessionMaker

log = logging.getLogger("xiangzhi.background")

Work = Callable[[SessionMaker], Awaitable[None]]


class Background:
    def __init__(self, sessionmaker: SessionMaker) -> None:
        self._sessionmaker = sessionmaker
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, name: str, work: Work) -> None:
        task = asyncio.create_task(self._run(name, work), name=name)
        self._tasks.add(task)  # held, or the loop may drop a running task
        task.add_done_callback(self._tasks.discard)

    async def _run(self, name: str, work: Work) -> None:
        try:
            await work(self._sessionmaker)
        except Exception:
            log.exception("background work failed", extra={"work": name})

    async def idle(self) -> None:
        """Waits for every running piece of work (shutdown, and tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

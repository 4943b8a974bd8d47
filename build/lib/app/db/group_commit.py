"""Group commit: writes that arrive while the database is busy with earlier ones wait, and are
then written together in one transaction, with one statement per table instead of one per write.

At a quiet moment a write goes alone, at once: nothing waits for a timer. Under a burst (a
county's Party day at 9:00) the writers are busy, the next writes gather behind them, and the
cost of each statement, transaction and commit is paid once per group instead of once per
member. A group that fails for any reason (one write refused, a deadlock, a lost connection) is
rolled back whole and its writes are tried again one by one, each in its own transaction, so one
bad write never sinks the others and each caller hears its own answer.

The writes must be safe to try twice (the check-in's is: its repeat check is the INSERT). A
write may carry an ``AfterWrite``: something written in the write's own commit once the write
itself succeeded, and told when that commit has landed (app/idempotency's ``Receipt`` stores the
request's Idempotency-Key answer that way). This module knows nothing of what it is.

When a route uses it: only for a write that a crowd makes in the same seconds and that needs
nothing of the request's own transaction (a Party day's check-ins at 9:00, a village shop's rush,
the Idempotency-Key claims and answers of every phone write). Such a route hands its write to a
writer built at start-up (``CheckinWriter``, ``RedemptionWriter``, ``IdempotencyClaimWriter``,
``IdempotencyAnswerWriter``), which commits it; every other write stays in the request's session,
which the session dependency commits. ARCHITECTURE.md lists who commits where.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.db import SessionMaker

log = logging.getLogger("xiangzhi.group_commit")

Item = TypeVar("Item")
Result = TypeVar("Result")


class AfterWrite(Protocol):
    """Written in the same commit as its write, once that write succeeded."""

    async def write_all(self, session: AsyncSession, done: Sequence[tuple[Any, Any]]) -> None:
        """Writes what each ``(after_write, result)`` of a group needs; called on one of them
        for all of its kind. Raising rolls the whole transaction back."""

    def landed(self) -> None:
        """The commit holding it has landed."""


class GroupCommit(Generic[Item, Result]):
    """A writer subclasses this with its two ways of writing: ``together`` writes a group and
    answers in its order, where an exception in an item's place refuses that item (it must then
    have written nothing of it); ``alone`` writes one."""

    def __init__(self, sessionmaker: SessionMaker, *, writers: int = 2, most: int = 200) -> None:
        """``writers``: groups written at once (one prepares while another waits on the
        database); ``most``: the largest group (1 writes every item alone)."""
        self.sessionmaker = sessionmaker
        self._writers, self._most = writers, most
        self._waiting: list[_Waiting[Item, Result]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.largest = 0  # the largest group written together so far (bench, tests)
        # How the writes went, for the log at shutdown: in groups, or alone.
        self.groups_written = self.written_together = self.written_alone = 0
        self._active = 0  # writers between their first and last look at what is waiting

    @classmethod
    def grouped(cls, settings: Settings) -> bool:
        """Whether this writer groups its writes; a writer whose setting can turn it off (to
        measure without) says so here."""
        return True

    async def together(
        self, session: AsyncSession, items: Sequence[Item]
    ) -> Sequence[Result | Exception]:
        raise NotImplementedError

    async def alone(self, session: AsyncSession, item: Item) -> Result:
        raise NotImplementedError

    async def submit(self, item: Item, after: AfterWrite | None = None) -> Result:
        """Written and committed when this returns; raises what writing it alone raised.
        With ``after``, that is written in the same commit (and told it landed)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        # Read even when its caller has gone, or asyncio logs it as never retrieved.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._waiting.append((item, after, future))
        if len(self._tasks) < self._writers:
            task = asyncio.create_task(self._write_while_waiting())
            self._tasks.add(task)  # held, or the loop may drop a running task
            task.add_done_callback(self._tasks.discard)
        # Shielded: a caller that goes away (a phone's dropped connection) does not cancel the
        # group's transaction; its write still lands, and its retry finds it.
        return await asyncio.shield(future)

    async def _write_while_waiting(self) -> None:
        self._active += 1
        try:
            await self._write_groups()
        finally:
            self._active -= 1  # with no await since the last look at what is waiting

    async def _write_groups(self) -> None:
        while self._waiting:
            if len(self._waiting) == 1 and self._active > 1:
                # Another writer is busy, so this is a burst: the requests already read off
                # the network get one turn of the loop to join.
                await asyncio.sleep(0)
                if len(self._waiting) == 1 and self._active > 1:
                    # Still alone: the busy writer takes it with its next group, where it
                    # costs a share of a few statements instead of a transaction of its own
                    # (~20 times less). That writer looks again before it stops.
                    return
            group, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            if len(group) > 1 and await self._together(group):
                continue
            for item, after, future in group:
                self.written_alone += 1
                try:
                    async with self.sessionmaker() as session, session.begin():
                        answer = await self.alone(session, item)
                        await _write_after(session, [(after, answer)])
                except Exception as refused:
                    if not future.done():
                        future.set_exception(refused)
                else:
                    _settle(future, after, answer)

    async def _together(self, group: "list[_Waiting[Item, Result]]") -> bool:
        """Writes the group in one transaction; False when it failed and was rolled back."""
        try:
            async with self.sessionmaker() as session, session.begin():
                answers = await self.together(session, [item for item, _, _ in group])
                written = [
                    (after, answer)
                    for (_, after, _), answer in zip(group, answers, strict=True)
                    if not isinstance(answer, Exception)
                ]
                await _write_after(session, written)
        except Exception as error:
            log.warning("group of %d not written together (%r); one by one", len(group), error)
            return False
        self.largest = max(self.largest, len(group))
        self.groups_written += 1
        self.written_together += len(group)
        for (_, after, future), answer in zip(group, answers, strict=True):
            if isinstance(answer, Exception):
                if not future.done():
                    future.set_exception(answer)
            else:
                _settle(future, after, answer)
        return True

    async def idle(self) -> None:
        """Waits until every write handed in has been written (shutdown, and tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def summary(self) -> str:
        return (
            f"{type(self).__name__}: {self.written_together} written in "
            f"{self.groups_written} groups (largest {self.largest}), {self.written_alone} alone"
        )


_Waiting = tuple[Item, AfterWrite | None, "asyncio.Future[Result]"]


async def _write_after(session: AsyncSession, done: Sequence[tuple[Any, Any]]) -> None:
    """Each kind of after-write in one call for the whole group (one lock, one statement)."""
    kinds: dict[type, list[tuple[Any, Any]]] = {}
    for after, answer in done:
        if after is not None:
            kinds.setdefault(type(after), []).append((after, answer))
    for pairs in kinds.values():
        await pairs[0][0].write_all(session, pairs)


def _settle(future: "asyncio.Future[Result]", after: AfterWrite | None, answer: Result) -> None:
    if after is not None:
        after.landed()
    if not future.done():
        future.set_result(answer)


W = TypeVar("W", bound="GroupCommit[Any, Any]")


class Writers:
    """The app's group-commit writers. A domain declares one by subclassing ``GroupCommit``;
    it is started the first time a route asks for it (``deps.started``), so the app factory
    lists none, and all are drained at shutdown."""

    def __init__(self, sessionmaker: SessionMaker, settings: Settings, *, postgres: bool) -> None:
        self._sessionmaker, self._settings, self._postgres = sessionmaker, settings, postgres
        self._started: dict[type, GroupCommit[Any, Any]] = {}

    def get(self, kind: type[W]) -> W:
        found = self._started.get(kind)
        if found is None:
            # Grouped, two writers: one prepares its group while the other waits on
            # PostgreSQL. Not grouped, each write alone, as many at once as the pool allows.
            # SQLite has one writer whatever is asked.
            grouped = kind.grouped(self._settings)
            writers = 2 if grouped else self._settings.database_pool_size
            found = kind(
                self._sessionmaker,
                writers=writers if self._postgres else 1,
                most=200 if grouped else 1,
            )
            self._started[kind] = found
        return cast(W, found)

    async def close(self) -> None:
        for writer in self._started.values():
            await writer.idle()
            log.info("group commit: %s", writer.summary())

"""Group commit: writes that arrive while the database is busy with earlier ones wait, and are
then written together in one transaction, with one statement per table instead of one per write.

At a quiet moment a write goes alone, at once: nothing waits for a timer. Under a burst (a
county's Party day at 9:00) the writers are busy, the next writes gather behind them, and the
cost of each statement, transaction and commit is paid once per group instead of once per
member. A group that fails for any reason (one write refused, a deadlock, a lost connection) is
rolled back whole and its writes are tried again one by one, each in its own transaction, so one
bad write never sinks the others and each caller hears its own answer.

The writes must be safe to try twice (the check-in's is: its repeat check is the INSERT). A
write handed in with an idempotency ``Receipt`` has its answer stored in its own commit.

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
from typing import Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import SessionMaker
from app.services.kit import idempotency

log = logging.getLogger("xiangzhi.group_commit")

Item = TypeVar("Item")
Result = TypeVar("Result")


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

    async def together(
        self, session: AsyncSession, items: Sequence[Item]
    ) -> Sequence[Result | Exception]:
        raise NotImplementedError

    async def alone(self, session: AsyncSession, item: Item) -> Result:
        raise NotImplementedError

    async def submit(self, item: Item, receipt: idempotency.Receipt | None = None) -> Result:
        """Written and committed when this returns; raises what writing it alone raised.
        With a ``receipt`` the answer is committed with the write (``receipt.pending`` then
        says so)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        # Read even when its caller has gone, or asyncio logs it as never retrieved.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._waiting.append((item, receipt, future))
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
            for item, receipt, future in group:
                self.written_alone += 1
                try:
                    async with self.sessionmaker() as session, session.begin():
                        answer = await self.alone(session, item)
                        if receipt is not None:
                            await idempotency.complete_all(session, [(receipt, answer)])
                except Exception as refused:
                    if not future.done():
                        future.set_exception(refused)
                else:
                    _settle(future, receipt, answer)

    async def _together(self, group: "list[_Waiting[Item, Result]]") -> bool:
        """Writes the group in one transaction; False when it failed and was rolled back."""
        try:
            async with self.sessionmaker() as session, session.begin():
                answers = await self.together(session, [item for item, _, _ in group])
                written = [
                    (receipt, answer)
                    for (_, receipt, _), answer in zip(group, answers, strict=True)
                    if receipt is not None and not isinstance(answer, Exception)
                ]
                await idempotency.complete_all(session, written)
        except Exception as error:
            log.warning("group of %d not written together (%r); one by one", len(group), error)
            return False
        self.largest = max(self.largest, len(group))
        self.groups_written += 1
        self.written_together += len(group)
        for (_, receipt, future), answer in zip(group, answers, strict=True):
            if isinstance(answer, Exception):
                if not future.done():
                    future.set_exception(answer)
            else:
                _settle(future, receipt, answer)
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


_Waiting = tuple[Item, idempotency.Receipt | None, "asyncio.Future[Result]"]


def _settle(
    future: "asyncio.Future[Result]", receipt: idempotency.Receipt | None, answer: Result
) -> None:
    if receipt is not None:
        receipt.pending.answered = True  # committed with the write: the middleware keeps it
    if not future.done():
        future.set_result(answer)

"""Idempotency-Key records: claim a key, replay its first answer, or refuse.

A key's answer is stored by the request's own transaction, in the same commit as the write it
answers (``complete_in``): a key is ``done`` exactly when its effect exists. The claim itself is
committed on its own, before the request runs, so that a concurrent retry sees it. A claim that
stays ``in_flight`` belongs to a request that has not committed: it may be taken over, and the
taking over changes the claim's token, so the first request, should it still be alive, can no
longer complete and its transaction rolls back. Either way the write happens once.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import SessionMaker
from app.errors import Conflict, Unprocessable
from app.models.idempotency import IdempotencyRecord

log = logging.getLogger("xiangzhi.idempotency")

# An unfinished claim older than this may be taken over by a retry. Taking over is safe at any
# age (see above); the delay only spares a slow first request from being cut off by its retry.
STALE_AFTER = timedelta(seconds=15)


@dataclass(frozen=True, slots=True)
class Claimed:
    record_id: int
    token: datetime  # the claim's created_at when this request took it


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True)
class Pending:
    """A claimed request in progress: the request's session is handed over here instead of
    being committed, so that the answer can be stored in the same transaction. ``answered``:
    a writer outside the request (group commit) has already stored the answer with the write."""

    claimed: Claimed
    session: AsyncSession | None = field(default=None)
    answered: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as it is kept for replay."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Receipt:
    """For a write made outside the request's transaction (group commit): the request's claim
    and how the route will answer, so the writer stores the answer in the write's own commit.
    Otherwise a crash between the two would let the phone's retry write it again."""

    pending: Pending
    shape: Callable[[Any], Answer]

    # As the group-commit writer's ``AfterWrite``: the answers of a group stored together.
    async def write_all(self, session: AsyncSession, done: Sequence[tuple[Any, Any]]) -> None:
        await complete_all(session, done)

    def landed(self) -> None:
        self.pending.answered = True  # committed with the write: the middleware keeps it


class KeyReused(Unprocessable):
    code = "idempotency.key_reused"
    detail = "该 Idempotency-Key 已用于另一个请求内容，请换一个新的。"


class InFlight(Conflict):
    code = "idempotency.in_flight"
    detail = "相同的请求正在处理中，请稍候再试。"


async def claim(
    sessionmaker: SessionMaker,
    *,
    owner: str,
    key: str,
    request_hash: str,
    ttl: timedelta,
    held: bool = False,
) -> Claimed | Replay:
    """``held``: the caller has just found the key held (a retry, as a rule), so the first look
    reads the record instead of trying to claim it."""
    for attempt in range(3):
        now = utcnow()
        async with sessionmaker() as session:
            if not (held and attempt == 0):
                record = IdempotencyRecord(
                    owner=owner,
                    key=key,
                    request_hash=request_hash,
                    state="in_flight",
                    created_at=now,
                    expires_at=now + ttl,
                )
                session.add(record)
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                else:
                    assert record.id is not None
                    return Claimed(record.id, now)
            existing = (
                await session.exec(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
                    )
                )
            ).first()
            if existing is None:
                continue
            if existing.expires_at <= now:
                await session.execute(
                    delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == existing.id)
                )
                await session.commit()
                continue
            if existing.request_hash != request_hash:
                raise KeyReused()
            if existing.state == "done":
                return Replay(
                    status=existing.response_status or 200,
                    headers=dict(existing.response_headers or {}),
                    body=existing.response_body or b"",
                )
            if existing.created_at <= now - STALE_AFTER:
                taken = await session.execute(
                    update(IdempotencyRecord)
                    .where(
                        col(IdempotencyRecord.id) == existing.id,
                        col(IdempotencyRecord.state) == "in_flight",
                        col(IdempotencyRecord.created_at) == existing.created_at,
                    )
                    .values(created_at=now)
                )
                await session.commit()
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    assert existing.id is not None
                    log.warning("took over the unfinished claim of key %s", key)
                    return Claimed(existing.id, now)
                continue  # completed or taken in the meantime: look again
            raise InFlight()
    raise InFlight()


_RECORDS = cast(Table, IdempotencyRecord.__table__)  # type: ignore[attr-defined]
# Built once. The claim's token must still be this request's: one taken over is left alone.
_FINISH = (
    update(_RECORDS)
    .where(
        _RECORDS.c.id == bindparam("record_id"),
        _RECORDS.c.state == "in_flight",
        _RECORDS.c.created_at == bindparam("token"),
    )
    .values(
        state="done",
        response_status=bindparam("status"),
        response_headers=bindparam("headers"),
        response_body=bindparam("body"),
    )
)


def _finished(claimed: Claimed, answer: Answer) -> dict[str, Any]:
    return {
        "record_id": claimed.record_id,
        "token": claimed.token,
        "status": answer.status,
        "headers": answer.headers,
        "body": answer.body,
    }


async def complete_in(session: AsyncSession, claimed: Claimed, answer: Answer) -> bool:
    """Stores the answer in the request's own transaction. False when the claim was taken over:
    the caller must then roll back, or the write would happen twice."""
    conn = await session.connection()
    result = await conn.execute(_FINISH, _finished(claimed, answer))
    return bool(result.rowcount == 1)


async def complete_many(session: AsyncSession, done: Sequence[tuple[Claimed, Answer]]) -> None:
    """Stores answers whose writes are already committed (or who wrote nothing), in one trip;
    a claim taken over meanwhile is left to its new owner."""
    if done:
        conn = await session.connection()
        await conn.execute(_FINISH, [_finished(claimed, answer) for claimed, answer in done])


async def complete_all(session: AsyncSession, done: Sequence[tuple[Receipt, Any]]) -> None:
    """Stores each written result's answer in the writer's transaction (one lock and one
    executemany for a group). Raises ``InFlight`` when any claim was taken over meanwhile:
    the writer must roll back, or that write would happen twice."""
    if not done:
        return
    claims = [receipt.pending.claimed for receipt, _ in done]
    # Locked first, so that no retry can take a claim over between this check and the commit.
    held = (
        await session.exec(
            select(IdempotencyRecord.id)
            .where(
                col(IdempotencyRecord.state) == "in_flight",
                tuple_(col(IdempotencyRecord.id), col(IdempotencyRecord.created_at)).in_(
                    [(c.record_id, c.token) for c in claims]
                ),
            )
            .with_for_update()
        )
    ).all()
    if len(set(held)) != len({c.record_id for c in claims}):
        raise InFlight()
    answers = [receipt.shape(result) for receipt, result in done]
    await complete_many(session, list(zip(claims, answers, strict=True)))


async def release(sessionmaker: SessionMaker, claimed: Claimed) -> None:
    """Forgets a claim whose request failed on our side, so the phone's retry runs at once.

    Best effort: when the database is what failed, the claim simply goes stale and a retry
    takes it over after ``STALE_AFTER``. A claim taken over or completed is left alone.
    """
    for pause in (0.0, 0.2, 0.5):
        await asyncio.sleep(pause)
        try:
            async with sessionmaker() as session:
                await session.execute(
                    delete(IdempotencyRecord).where(
                        col(IdempotencyRecord.id) == claimed.record_id,
                        col(IdempotencyRecord.state) == "in_flight",
                        col(IdempotencyRecord.created_at) == claimed.token,
                    )
                )
                await session.commit()
            return
        except Exception as error:  # any failure here only delays the retry
            log.warning("could not release idempotency claim %s: %r", claimed.record_id, error)

"""Idempotency-Key claims and answers taken together at a burst (group commit): every phone's
write claims its key in a commit of its own before it runs, and a request that wrote nothing
in its own transaction (a refusal, a repeat, a write committed by a group) stores its answer
in one after. A rush of them (a shop's rush, a Party day's scans) costs one statement and one
commit per group instead of a transaction each.

Only the common claim is grouped: a key seen for the first time. A key already held (a retry
to replay, a reused key, an unfinished claim to take over, an expired one) goes the careful
way, ``idempotency.claim``, one by one.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from app import idempotency
from app.china_time import utcnow
from app.db import rows
from app.db.group_commit import GroupCommit
from app.models.idempotency import IdempotencyRecord


@dataclass(frozen=True, slots=True)
class Ask:
    owner: str
    key: str
    request_hash: str
    ttl: timedelta


class IdempotencyClaimWriter(GroupCommit[Ask, idempotency.Claimed | None]):
    """New claims, written together; None for a key some record already holds."""

    async def together(
        self, session: AsyncSession, items: Sequence[Ask]
    ) -> list[idempotency.Claimed | None]:
        now = utcnow()
        conn = await rows.connection(session)
        if conn.dialect.name != "postgresql":
            return [await self._one(session, ask) for ask in items]
        written = await rows.insert_new_many(
            conn,
            IdempotencyRecord,
            [_values(ask, now) for ask in items],
            returning=("id", "owner", "key"),
        )
        ids = {(owner, key): row_id for row_id, owner, key in written}
        claimed: list[idempotency.Claimed | None] = []
        for ask in items:
            # The same key twice in one group: the first made the record, the second finds
            # it held.
            row_id = ids.pop((ask.owner, ask.key), None)
            claimed.append(None if row_id is None else idempotency.Claimed(row_id, now))
        return claimed

    async def alone(self, session: AsyncSession, item: Ask) -> idempotency.Claimed | None:
        return await self._one(session, item)

    @staticmethod
    async def _one(session: AsyncSession, ask: Ask) -> idempotency.Claimed | None:
        now = utcnow()
        row_id = await rows.insert_values(
            session, IdempotencyRecord, _values(ask, now), skip_conflict=True
        )
        return None if row_id is None else idempotency.Claimed(row_id, now)


def _values(ask: Ask, now: datetime) -> dict[str, object]:
    return {
        "owner": ask.owner,
        "key": ask.key,
        "request_hash": ask.request_hash,
        "state": "in_flight",
        "created_at": now,
        "expires_at": now + ask.ttl,
    }


async def claim(
    writer: IdempotencyClaimWriter, *, owner: str, key: str, request_hash: str, ttl: timedelta
) -> idempotency.Claimed | idempotency.Replay:
    """What ``idempotency.claim`` answers, a new key claimed with the others arriving beside it."""
    first = await writer.submit(Ask(owner, key, request_hash, ttl))
    if first is not None:
        return first
    return await idempotency.claim(
        writer.sessionmaker, owner=owner, key=key, request_hash=request_hash, ttl=ttl, held=True
    )


Finished = tuple[idempotency.Claimed, idempotency.Answer]


class IdempotencyAnswerWriter(GroupCommit[Finished, None]):
    """Answers stored after their requests, together (one executemany per group)."""

    async def together(self, session: AsyncSession, items: Sequence[Finished]) -> list[None]:
        await idempotency.complete_many(session, items)
        return [None] * len(items)

    async def alone(self, session: AsyncSession, item: Finished) -> None:
        await idempotency.complete_many(session, [item])


async def complete(
    writer: IdempotencyAnswerWriter, claimed: idempotency.Claimed, answer: idempotency.Answer
) -> None:
    """What ``idempotency.complete`` does, with the answers arriving beside it."""
    await writer.submit((claimed, answer))

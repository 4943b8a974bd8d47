"""Idempotency-Key records: claim a key, replay its first answer, or refuse.

Unlike other services this one commits: the claim must be visible to a concurrent retry before
the request's own transaction has finished, and the stored answer must outlive it.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.china_time import utcnow
from app.db import SessionMaker
from app.errors import Conflict, Unprocessable
from app.models.idempotency import IdempotencyRecord

log = logging.getLogger("xiangzhi.idempotency")

# A claim older than this belongs to a request that died with its process.
STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Claimed:
    record_id: int


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    headers: dict[str, str]
    body: bytes


class KeyReused(Unprocessable):
    code = "idempotency.key_reused"
    detail = "该 Idempotency-Key 已用于另一个请求内容，请换一个新的。"


class InFlight(Conflict):
    code = "idempotency.in_flight"
    detail = "相同的请求正在处理中，请稍候再试。"


async def claim(
    sessionmaker: SessionMaker, *, owner: str, key: str, request_hash: str, ttl: timedelta
) -> Claimed | Replay:
    for _ in range(3):
        now = utcnow()
        async with sessionmaker() as session:
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
                return Claimed(record.id)
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
                        col(IdempotencyRecord.created_at) == existing.created_at,
                    )
                    .values(created_at=now)
                )
                await session.commit()
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    assert existing.id is not None
                    return Claimed(existing.id)
            raise InFlight()
    raise InFlight()


async def complete(
    sessionmaker: SessionMaker,
    *,
    record_id: int,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    async with sessionmaker() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.id) == record_id)
            .values(
                state="done", response_status=status, response_headers=headers, response_body=body
            )
        )
        await session.commit()


async def release(sessionmaker: SessionMaker, *, record_id: int) -> None:
    """Forgets a claim whose request failed on our side, so the phone's retry can run."""
    async with sessionmaker() as session:
        await session.execute(
            delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record_id)
        )
        await session.commit()

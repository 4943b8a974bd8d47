"""Housekeeping: forget expired idempotency answers and refresh tokens."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.auth import RefreshToken
from app.models.idempotency import IdempotencyRecord

# A revoked or spent token is kept this long so a late reuse is still recognised as reuse.
REFRESH_GRACE = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Purged:
    idempotency_records: int
    refresh_tokens: int


async def purge_expired(session: AsyncSession, *, now: datetime) -> Purged:
    records = await session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= now)
    )
    tokens = await session.execute(
        delete(RefreshToken).where(col(RefreshToken.expires_at) <= now - REFRESH_GRACE)
    )
    return Purged(
        idempotency_records=records.rowcount,  # type: ignore[attr-defined]
        refresh_tokens=tokens.rowcount,  # type: ignore[attr-defined]
    )

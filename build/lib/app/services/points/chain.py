"""Each account's entries form one hash chain: every posted entry's hash covers the previous
hash and the entry's canonical fields, so an edited or removed entry shows on verification."""

import hashlib
import json

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.points import LedgerEntry, PointsAccount, VerifyResult


def entry_hash(entry: LedgerEntry, prev_hash: str | None) -> str:
    posted_at = entry.posted_at.isoformat() if entry.posted_at else None
    canonical = json.dumps(
        {
            "account_id": entry.account_id,
            "seq": entry.seq,
            "points": entry.points,
            "balance_after": entry.balance_after,
            "rule_code": entry.rule_code,
            "rule_points": entry.rule_points,
            "quantity": entry.quantity,
            "title": entry.title,
            "source_type": entry.source_type,
            "source_id": entry.source_id,
            "reverses_entry_id": entry.reverses_entry_id,
            "note": entry.note,
            "posted_at": posted_at,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash or ''}|{canonical}".encode()).hexdigest()


async def verify(session: AsyncSession, *, account: PointsAccount) -> VerifyResult:
    """Recomputes the account's chain and balance from its entries."""
    rows = (
        await session.execute(
            select(LedgerEntry)
            .where(col(LedgerEntry.account_id) == account.id, col(LedgerEntry.seq).is_not(None))
            .order_by(col(LedgerEntry.seq))
        )
    ).scalars()
    prev: str | None = None
    balance = 0
    count = 0
    for entry in rows:
        count += 1
        balance += entry.points
        good = (
            entry.seq == count
            and entry.prev_hash == prev
            and entry.balance_after == balance
            and entry.hash == entry_hash(entry, prev)
        )
        if not good:
            return VerifyResult(
                ok=False,
                entries=count,
                head=prev,
                balance=account.balance,
                first_bad_entry_id=entry.id,
            )
        prev = entry.hash
    ok = prev == account.head_hash and balance == account.balance and count == account.entry_count
    return VerifyResult(ok=ok, entries=count, head=prev, balance=account.balance)

"""How a posting becomes an entry: the caps, the checks, its place in the account's chain,
and the picture of it the audit log keeps. The ledger (``ledger.py``) locks and writes."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import rows
from app.errors import Conflict, Unprocessable
from app.models.base import id_of
from app.models.points import EntryStatus, LedgerEntry, PointsAccount, SourceType
from app.services import audit, media
from app.services.identity import Principal, location_of
from app.services.points import accounts, chain, totals
from app.services.points.postings import Posting


class InsufficientPoints(Conflict):
    code = "points.insufficient"
    detail = "积分余额不足。"


class EvidenceMisplaced(Unprocessable):
    code = "points.media_invalid"
    detail = "凭证照片不存在或不属于该村，请重新上传。"


async def build(
    session: AsyncSession,
    conn: AsyncConnection,
    account: accounts.Account,
    posting: Posting,
    actor: Principal | None,
    now: datetime,
    *,
    entry_id: int | None = None,
) -> LedgerEntry:
    """The posting's entry on its locked account, capped, checked and (unless it waits for
    review) placed in the chain; the account's values move with it. With its ``entry_id``
    (a group's) the entry is only ever read, so it is built as such (``rows.unsaved``)."""
    requested = posting.points_each * posting.quantity
    points, capped = requested, False
    if posting.rule is not None:
        room = await totals.cap_room(conn, account.id, posting.rule, now)
        if room is not None and abs(requested) > room:
            points, capped = (room if requested > 0 else -room), True
    if posting.media_ids and not await media.placed_photos(
        session, media_ids=posting.media_ids, where=location_of(account)
    ):
        # The household sees its entry's photos: one from another village would leak there.
        raise EvidenceMisplaced()
    if not posting.allow_overdraft and account.balance + points < 0:
        raise InsufficientPoints(f"积分余额不足：现有 {account.balance} 分，需要 {-points} 分。")
    values: dict[str, Any] = dict(
        account_id=account.id,
        town_id=account.town_id,
        village_id=account.village_id,
        status=EntryStatus.pending,
        points=points,
        requested_points=requested,
        capped=capped,
        rule_id=posting.rule.id if posting.rule else None,
        rule_code=posting.rule.code if posting.rule else None,
        rule_points=posting.rule.points if posting.rule else None,
        unit=posting.rule.unit if posting.rule else None,
        title=posting.title,
        quantity=posting.quantity,
        source_type=posting.source_type,
        source_id=posting.source_id,
        note=posting.note,
        media_ids=list(posting.media_ids),
        actor_person_id=actor.person_id if actor else None,
        created_at=now,
    )
    entry = (
        LedgerEntry(**values)
        if entry_id is None
        else rows.unsaved(LedgerEntry, {"id": entry_id, **values})
    )
    if not posting.pending:
        place(account, entry, now)
    return entry


def earned(posting: Posting, entry: LedgerEntry) -> bool:
    return not posting.pending and counts_as_earned(posting.source_type) and entry.points != 0


def place(account: accounts.Account | PointsAccount, entry: LedgerEntry, now: datetime) -> None:
    """Gives a posting its place: next seq, the new balance, the hash over the previous one."""
    account.entry_count += 1
    account.balance += entry.points
    entry.seq = account.entry_count
    entry.balance_after = account.balance
    entry.posted_at = now
    entry.status = EntryStatus.posted
    entry.prev_hash = account.head_hash
    entry.hash = chain.entry_hash(entry, account.head_hash)
    account.head_hash = entry.hash


def counts_as_earned(source_type: SourceType) -> bool:
    # Spending at the shop is not "earning less"; leaderboards and stars count what was earned.
    return source_type is not SourceType.redemption


def trail(
    actor: Principal | None,
    account: accounts.Account,
    entry: LedgerEntry,
    request_id: str | None = None,
) -> dict[str, Any]:
    return audit.values(
        actor=actor,
        action=f"points.{entry.status}",
        target_type="ledger_entry",
        target_id=id_of(entry),
        where=location_of(account),
        after=snapshot(entry),
        request_id=request_id,
    )


def snapshot(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "account_id": entry.account_id,
        "status": entry.status,
        "points": entry.points,
        "capped": entry.capped,
        "balance_after": entry.balance_after,
        "rule_code": entry.rule_code,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "reverses_entry_id": entry.reverses_entry_id,
    }

"""The points ledger: the only code that moves points.

Every posting locks its account row, so concurrent postings to one account queue up: the balance
never loses an update, a spend never overdraws, a cap is never exceeded, and each account's
entries form one hash chain. Entries are never edited: a pending entry gets its place in the
chain when approved, and a posted one is corrected by a reversal entry that names it.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import day_bounds, month_bounds, to_china, utcnow, year_bounds
from app.db import dialect_name, upsert_insert
from app.errors import Conflict, NotFound
from app.models.points import (
    EntryStatus,
    Ledger,
    LedgerEntry,
    OwnerType,
    PointsAccount,
    PointsTotal,
    ScoringRule,
    SourceType,
    VerifyResult,
)
from app.services import audit
from app.services.identity import Location, Principal


@dataclass(frozen=True, slots=True)
class Owner:
    type: OwnerType
    id: int
    town_id: int | None
    village_id: int | None


@dataclass(frozen=True, slots=True)
class Posting:
    """What one real action asks the ledger to record."""

    title: str
    points_each: int
    source_type: SourceType
    quantity: int = 1
    rule: ScoringRule | None = None
    source_id: str | None = None
    note: str | None = None
    media_ids: list[int] = field(default_factory=list)
    pending: bool = False
    # Spending may not overdraw; awards and penalties may take a balance below zero.
    allow_overdraft: bool = True


class InsufficientPoints(Conflict):
    code = "points.insufficient"
    detail = "积分余额不足。"


class NotPending(Conflict):
    code = "points.not_pending"
    detail = "该积分记录已处理过，不能重复审核。"


class NotReversible(Conflict):
    code = "points.not_reversible"
    detail = "只有已入账的积分记录可以冲正。"


def _where(account: PointsAccount) -> Location:
    return Location(town_id=account.town_id, village_id=account.village_id)


async def account_for(session: AsyncSession, *, ledger: Ledger, owner: Owner) -> PointsAccount:
    """The owner's account on that ledger, opened on first use (safe against a racing open)."""
    stmt = select(PointsAccount).where(
        col(PointsAccount.ledger) == ledger.value,
        col(PointsAccount.owner_type) == owner.type.value,
        col(PointsAccount.owner_id) == owner.id,
    )
    found = (await session.exec(stmt)).first()
    if found is not None:
        return found
    # Opened on first use; a racing open of the same account simply finds it there.
    insert = upsert_insert(dialect_name(session))
    await session.execute(
        insert(PointsAccount)
        .values(
            ledger=ledger.value,
            owner_type=owner.type.value,
            owner_id=owner.id,
            town_id=owner.town_id,
            village_id=owner.village_id,
            balance=0,
            entry_count=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["ledger", "owner_type", "owner_id"])
    )
    return (await session.exec(stmt)).one()


async def _lock(session: AsyncSession, account_id: int) -> PointsAccount:
    stmt = (
        select(PointsAccount)
        .where(col(PointsAccount.id) == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).one()


async def _cap_room(
    session: AsyncSession, account_id: int, rule: ScoringRule, now: datetime
) -> int | None:
    """How many points the rule's caps still allow on this account now (None: no cap)."""
    room: int | None = None
    for cap, bounds in (
        (rule.daily_cap, day_bounds),
        (rule.monthly_cap, month_bounds),
        (rule.yearly_cap, year_bounds),
    ):
        if cap is None:
            continue
        start, end = bounds(now)
        used = (
            await session.execute(
                select(func.coalesce(func.sum(func.abs(LedgerEntry.points)), 0)).where(
                    col(LedgerEntry.account_id) == account_id,
                    col(LedgerEntry.rule_code) == rule.code,
                    col(LedgerEntry.status).in_([EntryStatus.pending, EntryStatus.posted]),
                    col(LedgerEntry.created_at) >= start,
                    col(LedgerEntry.created_at) < end,
                )
            )
        ).scalar_one()
        left = max(0, cap - int(used))
        room = left if room is None else min(room, left)
    return room


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


def _periods(moment: datetime) -> tuple[str, str, str]:
    local = to_china(moment)
    return "all", f"Y{local.year}", f"M{local.year}-{local.month:02d}"


_TOTALS_UPSERT: dict[str, Any] = {}


def _totals_upsert(dialect: str) -> Any:
    """Built once per dialect: posting is the hot path, and building an upsert costs more than
    running it."""
    if dialect not in _TOTALS_UPSERT:
        insert = upsert_insert(dialect)
        stmt = insert(PointsTotal).values(
            account_id=bindparam("account_id"),
            ledger=bindparam("ledger"),
            period=bindparam("period"),
            town_id=bindparam("town_id"),
            village_id=bindparam("village_id"),
            earned=bindparam("earned"),
        )
        _TOTALS_UPSERT[dialect] = stmt.on_conflict_do_update(
            index_elements=["account_id", "period"],
            set_={"earned": PointsTotal.earned + stmt.excluded.earned},
        )
    return _TOTALS_UPSERT[dialect]


async def _add_to_totals(
    session: AsyncSession, account: PointsAccount, points: int, moment: datetime
) -> None:
    dialect = dialect_name(session)
    rows = [
        {
            "account_id": account.id,
            "ledger": account.ledger,
            "period": period,
            "town_id": account.town_id,
            "village_id": account.village_id,
            "earned": points,
        }
        for period in _periods(moment)
    ]
    await session.execute(_totals_upsert(dialect), rows)


async def _chain(
    session: AsyncSession, account: PointsAccount, entry: LedgerEntry, *, counts_as_earned: bool
) -> None:
    """Gives a posting its place: next seq, the new balance, the hash over the previous one."""
    now = utcnow()
    account.entry_count += 1
    account.balance += entry.points
    entry.seq = account.entry_count
    entry.balance_after = account.balance
    entry.posted_at = now
    entry.status = EntryStatus.posted.value
    entry.prev_hash = account.head_hash
    entry.hash = entry_hash(entry, account.head_hash)
    account.head_hash = entry.hash
    if counts_as_earned and entry.points:
        await _add_to_totals(session, account, entry.points, now)


def _counts_as_earned(source_type: SourceType) -> bool:
    # Spending at the shop is not "earning less"; leaderboards and stars count what was earned.
    return source_type is not SourceType.redemption


async def post(
    session: AsyncSession, *, account: PointsAccount, posting: Posting, actor: Principal | None
) -> LedgerEntry:
    assert account.id is not None
    locked = await _lock(session, account.id)
    now = utcnow()
    requested = posting.points_each * posting.quantity
    points, capped = requested, False
    if posting.rule is not None:
        room = await _cap_room(session, account.id, posting.rule, now)
        if room is not None and abs(requested) > room:
            points, capped = (room if requested > 0 else -room), True
    if not posting.allow_overdraft and locked.balance + points < 0:
        raise InsufficientPoints(f"积分余额不足：现有 {locked.balance} 分，需要 {-points} 分。")
    entry = LedgerEntry(
        account_id=account.id,
        town_id=locked.town_id,
        village_id=locked.village_id,
        status=EntryStatus.pending.value,
        points=points,
        requested_points=requested,
        capped=capped,
        rule_id=posting.rule.id if posting.rule else None,
        rule_code=posting.rule.code if posting.rule else None,
        rule_points=posting.rule.points if posting.rule else None,
        unit=posting.rule.unit if posting.rule else None,
        title=posting.title,
        quantity=posting.quantity,
        source_type=posting.source_type.value,
        source_id=posting.source_id,
        note=posting.note,
        media_ids=list(posting.media_ids),
        actor_person_id=actor.person_id if actor else None,
        created_at=now,
    )
    session.add(entry)
    if not posting.pending:
        await _chain(
            session, locked, entry, counts_as_earned=_counts_as_earned(posting.source_type)
        )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=f"points.{entry.status}",
        target_type="ledger_entry",
        target_id=entry.id or 0,
        where=_where(locked),
        after=_entry_snapshot(entry),
    )
    return entry


def _entry_snapshot(entry: LedgerEntry) -> dict[str, Any]:
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


async def get_entry(session: AsyncSession, entry_id: int) -> LedgerEntry:
    entry = await session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound("找不到该积分记录。", code="points.entry_not_found")
    return entry


async def decide(
    session: AsyncSession,
    *,
    entry: LedgerEntry,
    approve: bool,
    actor: Principal,
    note: str | None,
) -> LedgerEntry:
    locked = await _lock(session, entry.account_id)
    await session.refresh(entry, with_for_update=True)
    if entry.status != EntryStatus.pending.value:
        raise NotPending()
    before = _entry_snapshot(entry)
    entry.decided_by_person_id = actor.person_id
    entry.decision_note = note
    if approve:
        await _chain(
            session,
            locked,
            entry,
            counts_as_earned=_counts_as_earned(SourceType(entry.source_type)),
        )
    else:
        entry.status = EntryStatus.rejected.value
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="points.approve" if approve else "points.reject",
        target_type="ledger_entry",
        target_id=entry.id or 0,
        where=_where(locked),
        before=before,
        after=_entry_snapshot(entry),
    )
    return entry


async def reverse(
    session: AsyncSession,
    *,
    entry: LedgerEntry,
    actor: Principal | None,
    reason: str,
    source_type: SourceType = SourceType.reversal,
    source_id: str | None = None,
) -> LedgerEntry:
    """Undoes a posted entry with a new entry of the opposite sign that names it."""
    locked = await _lock(session, entry.account_id)
    await session.refresh(entry, with_for_update=True)
    if entry.status != EntryStatus.posted.value:
        raise NotReversible()
    reversal = LedgerEntry(
        account_id=entry.account_id,
        town_id=entry.town_id,
        village_id=entry.village_id,
        status=EntryStatus.pending.value,
        points=-entry.points,
        requested_points=-entry.points,
        title=f"冲正：{entry.title}"[:100],
        quantity=1,
        source_type=source_type.value,
        source_id=source_id or str(entry.id),
        reverses_entry_id=entry.id,
        note=reason[:500],
        actor_person_id=actor.person_id if actor else None,
        media_ids=[],
        created_at=utcnow(),
    )
    session.add(reversal)
    entry.status = EntryStatus.reversed.value
    await _chain(
        session, locked, reversal, counts_as_earned=_counts_as_earned(SourceType(entry.source_type))
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="points.reverse",
        target_type="ledger_entry",
        target_id=entry.id or 0,
        where=_where(locked),
        after=_entry_snapshot(reversal),
    )
    return reversal


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

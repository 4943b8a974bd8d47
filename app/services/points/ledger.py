"""The points ledger: the only code that moves points.

Every posting locks its account row, so concurrent postings to one account queue up: the balance
never loses an update, a spend never overdraws, a cap is never exceeded, and each account's
entries form one hash chain. Entries are never edited: a pending entry gets its place in the
chain when approved, and a posted one is corrected by a reversal entry that names it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.points import (
    EntryStatus,
    Ledger,
    LedgerEntry,
    OwnerType,
    PointsAccount,
    ScoringRule,
    SourceType,
)
from app.models.roster import Household, Person
from app.services import audit, media
from app.services.identity import Principal, location_of
from app.services.kit import rows
from app.services.points import accounts, announce, chain, totals, versions


class EntryNotFound(NotFound):
    code = "points.entry_not_found"
    detail = "找不到该积分记录。"


@dataclass(frozen=True, slots=True)
class Owner:
    type: OwnerType
    id: int
    town_id: int | None
    village_id: int | None

    @classmethod
    def of_person(cls, person: Person) -> "Owner":
        assert person.id is not None, "a person's account needs a saved person"
        return cls(OwnerType.person, person.id, person.town_id, person.village_id)

    @classmethod
    def of_household(cls, household: Household) -> "Owner":
        assert household.id is not None, "a household's account needs a saved household"
        return cls(OwnerType.household, household.id, household.town_id, household.village_id)

    @classmethod
    def household_of(cls, person: Person) -> "Owner | None":
        """The household account a person's actions earn for, if they belong to one."""
        if person.household_id is None:
            return None
        return cls(OwnerType.household, person.household_id, person.town_id, person.village_id)


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


class EvidenceMisplaced(Unprocessable):
    code = "points.media_invalid"
    detail = "凭证照片不存在或不属于该村，请重新上传。"


class NotPending(Conflict):
    code = "points.not_pending"
    detail = "该积分记录已处理过，不能重复审核。"


class NotReversible(Conflict):
    code = "points.not_reversible"
    detail = "只有已入账的积分记录可以冲正。"


async def account_for(session: AsyncSession, *, ledger: Ledger, owner: Owner) -> PointsAccount:
    """The owner's account on that ledger, opened on first use; found the way a posting finds
    it, so its row stays locked until the transaction ends."""
    conn = await rows.connection(session)
    account, _ = await accounts.locked(conn, ledger, owner)
    found = await session.get(PointsAccount, account.id)
    assert found is not None
    return found


async def credit(
    session: AsyncSession,
    *,
    ledger: Ledger,
    owner: Owner,
    posting: Posting,
    actor: Principal | None,
) -> LedgerEntry:
    """Posts to the owner's account on that ledger, opening it on first use. A negative
    `points_each` makes it a debit, refused beyond the balance unless the posting allows it."""
    conn = await rows.connection(session)
    account, next_id = await accounts.locked(conn, ledger, owner)
    return await _post(session, conn, account, next_id, posting, actor)


async def post(
    session: AsyncSession, *, account: PointsAccount, posting: Posting, actor: Principal | None
) -> LedgerEntry:
    """Posts to a known account."""
    conn = await rows.connection(session)
    locked, next_id = await accounts.locked_by_id(conn, id_of(account))
    return await _post(session, conn, locked, next_id, posting, actor)


async def _post(
    session: AsyncSession,
    conn: AsyncConnection,
    account: accounts.Account,
    next_id: int | None,
    posting: Posting,
    actor: Principal | None,
) -> LedgerEntry:
    """The hot path, on a locked account: each statement is Core, and the trips are the caps
    (one statement, only for a capped rule), the writes (the entry, the account's new head,
    the period totals and the audit entry: one statement on PostgreSQL, where the lock also
    drew the entry's id) and the owner's inbox row."""
    now = utcnow()
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
    entry = LedgerEntry(
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
    if not posting.pending:
        _place(account, entry, now)
    earned = not posting.pending and _counts_as_earned(posting.source_type) and entry.points != 0
    if next_id is not None:
        entry.id = next_id
        await accounts.write_together(
            conn,
            entry,
            None if posting.pending else account,
            earned,
            _trail(actor, account, entry),
            now,
        )
        rows.attach(session, entry)
    else:
        await rows.insert_row(session, entry)
        if not posting.pending:
            await accounts.set_head(conn, account)
            if earned:
                await totals.add_earned(conn, account, entry.points, now)
        await audit.record_values(session, _trail(actor, account, entry))
    if not posting.pending:
        accounts.keep_in_step(session, account)
    versions.moved(session, account.owner_type, account.owner_id)
    await announce.entry_settled(session, account, entry)
    return entry


def _place(account: accounts.Account | PointsAccount, entry: LedgerEntry, now: datetime) -> None:
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


async def _lock(session: AsyncSession, account_id: int) -> PointsAccount:
    stmt = (
        select(PointsAccount)
        .where(col(PointsAccount.id) == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).one()


async def _chain(
    session: AsyncSession, account: PointsAccount, entry: LedgerEntry, *, counts_as_earned: bool
) -> None:
    """A decision's or reversal's place in the chain (these go through the ORM: they are rare)."""
    now = utcnow()
    _place(account, entry, now)
    if counts_as_earned and entry.points:
        await totals.add_earned(await session.connection(), account, entry.points, now)


def _counts_as_earned(source_type: SourceType) -> bool:
    # Spending at the shop is not "earning less"; leaderboards and stars count what was earned.
    return source_type is not SourceType.redemption


def _trail(
    actor: Principal | None, account: accounts.Account, entry: LedgerEntry
) -> dict[str, Any]:
    return audit.values(
        actor=actor,
        action=f"points.{entry.status}",
        target_type="ledger_entry",
        target_id=id_of(entry),
        where=location_of(account),
        after=_entry_snapshot(entry),
    )


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
        raise EntryNotFound()
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
    if entry.status != EntryStatus.pending:
        raise NotPending()
    async with audit.change(
        session,
        actor=actor,
        row=entry,
        action="points.approve" if approve else "points.reject",
        target_type="ledger_entry",
        where=location_of(locked),
        picture=_entry_snapshot,
    ):
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
            entry.status = EntryStatus.rejected
    versions.moved(session, locked.owner_type, locked.owner_id)
    await announce.entry_settled(session, locked, entry)
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
    if entry.status != EntryStatus.posted:
        raise NotReversible()
    reversal = LedgerEntry(
        account_id=entry.account_id,
        town_id=entry.town_id,
        village_id=entry.village_id,
        status=EntryStatus.pending,
        points=-entry.points,
        requested_points=-entry.points,
        title=f"冲正：{entry.title}"[:100],
        quantity=1,
        source_type=source_type,
        source_id=source_id or str(entry.id),
        reverses_entry_id=entry.id,
        note=reason[:500],
        actor_person_id=actor.person_id if actor else None,
        media_ids=[],
        created_at=utcnow(),
    )
    session.add(reversal)
    entry.status = EntryStatus.reversed
    await _chain(
        session, locked, reversal, counts_as_earned=_counts_as_earned(SourceType(entry.source_type))
    )
    await session.flush()
    versions.moved(session, locked.owner_type, locked.owner_id)
    await audit.record(
        session,
        actor=actor,
        action="points.reverse",
        target_type="ledger_entry",
        target_id=id_of(entry),
        where=location_of(locked),
        after=_entry_snapshot(reversal),
    )
    return reversal

"""The points ledger: the only code that moves points.

Every posting locks its account row, so concurrent postings to one account queue up: the balance
never loses an update, a spend never overdraws, a cap is never exceeded, and each account's
entries form one hash chain. Entries are never edited: a pending entry gets its place in the
chain when approved, and a posted one is corrected by a reversal entry that names it.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import dialect_name, upsert_insert
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
from app.services.points import announce, chain, totals


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
    """The owner's account on that ledger, opened on first use (safe against a racing open)."""
    stmt = select(PointsAccount).where(
        col(PointsAccount.ledger) == ledger,
        col(PointsAccount.owner_type) == owner.type,
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
            ledger=ledger,
            owner_type=owner.type,
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
    account = await account_for(session, ledger=ledger, owner=owner)
    return await post(session, account=account, posting=posting, actor=actor)


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
    """Gives a posting its place: next seq, the new balance, the hash over the previous one."""
    now = utcnow()
    account.entry_count += 1
    account.balance += entry.points
    entry.seq = account.entry_count
    entry.balance_after = account.balance
    entry.posted_at = now
    entry.status = EntryStatus.posted
    entry.prev_hash = account.head_hash
    entry.hash = chain.entry_hash(entry, account.head_hash)
    account.head_hash = entry.hash
    if counts_as_earned and entry.points:
        await totals.add_earned(session, account, entry.points, now)


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
        room = await totals.cap_room(session, account.id, posting.rule, now)
        if room is not None and abs(requested) > room:
            points, capped = (room if requested > 0 else -room), True
    if posting.media_ids and not await media.placed_photos(
        session, media_ids=posting.media_ids, where=location_of(locked)
    ):
        # The household sees its entry's photos: one from another village would leak there.
        raise EvidenceMisplaced()
    if not posting.allow_overdraft and locked.balance + points < 0:
        raise InsufficientPoints(f"积分余额不足：现有 {locked.balance} 分，需要 {-points} 分。")
    entry = LedgerEntry(
        account_id=account.id,
        town_id=locked.town_id,
        village_id=locked.village_id,
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
        target_id=id_of(entry),
        where=location_of(locked),
        after=_entry_snapshot(entry),
    )
    await announce.entry_settled(session, locked, entry)
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

"""The points ledger: the only code that moves points.

Every posting locks its account row, so concurrent postings to one account queue up: the balance
never loses an update, a spend never overdraws, a cap is never exceeded, and each account's
entries form one hash chain. Entries are never edited: a pending entry gets its place in the
chain when approved, and a posted one is corrected by a reversal entry that names it.
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import rows
from app.errors import Conflict, NotFound
from app.models.base import id_of
from app.models.points import (
    EntryStatus,
    Ledger,
    LedgerEntry,
    OwnerType,
    PointsAccount,
    SourceType,
)
from app.services import audit
from app.services.identity import Principal, location_of
from app.services.points import accounts, announce, balance_cache, entries, totals
from app.services.points.entries import EvidenceMisplaced as EvidenceMisplaced
from app.services.points.entries import InsufficientPoints as InsufficientPoints
from app.services.points.postings import Credit as Credit
from app.services.points.postings import Owner as Owner
from app.services.points.postings import Posting as Posting
from app.services.warnings import flags


class EntryNotFound(NotFound):
    code = "points.entry_not_found"
    detail = "找不到该积分记录。"


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
    entry = await _post(session, conn, account, next_id, posting, actor)
    if actor is not None and posting.source_type in flags.DISCRETIONARY:
        await flags.points_given(
            session, entry=entry, owner_type=owner.type, owner_id=owner.id, actor=actor
        )
    return entry


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
    entry = await entries.build(session, conn, account, posting, actor, now)
    earned = entries.earned(posting, entry)
    if next_id is not None:
        entry.id = next_id
        await accounts.write_together(
            conn,
            entry,
            None if posting.pending else account,
            earned,
            entries.trail(actor, account, entry),
            now,
        )
        rows.attach(session, entry)
    else:
        await rows.insert_row(session, entry)
        if not posting.pending:
            await accounts.set_head(conn, account)
            if earned:
                await totals.add_earned(conn, account, entry.points, now)
        await audit.record_values(session, entries.trail(actor, account, entry))
    _moved(session, account, posting)
    await announce.entry_settled(session, account, entry)
    return entry


async def credit_each(
    session: AsyncSession, *, ledger: Ledger, credits: Sequence[Credit]
) -> list[LedgerEntry]:
    """Several postings written together (a Party day's check-ins, group-committed): each is
    exactly the entry ``credit`` would post, in the same chain under the same lock, caps and
    audit, but the accounts are locked in one statement (in id order, so two groups never wait
    on each other), and the entries, heads, totals, audit and inbox rows go one statement per
    table. The entries are not attached to the session. SQLite posts them one by one."""
    conn = await rows.connection(session)
    if conn.dialect.name != "postgresql":
        return [
            await credit(session, ledger=ledger, owner=c.owner, posting=c.posting, actor=c.actor)
            for c in credits
        ]
    posted: dict[int, LedgerEntry] = {}
    waiting = list(enumerate(credits))
    while waiting:
        # An account once per round: a cap then counts the entries of the rounds before.
        this_round: dict[tuple[OwnerType, int], tuple[int, Credit]] = {}
        for i, c in waiting:
            this_round.setdefault((c.owner.type, c.owner.id), (i, c))
        done = await _round(session, conn, ledger, [c for _, c in this_round.values()])
        posted.update(zip((i for i, _ in this_round.values()), done, strict=True))
        waiting = [(i, c) for i, c in waiting if i not in posted]
    return [posted[i] for i in range(len(credits))]


async def _round(
    session: AsyncSession, conn: AsyncConnection, ledger: Ledger, credits: list[Credit]
) -> list[LedgerEntry]:
    held = await accounts.locked_many(conn, ledger, [c.owner for c in credits])
    ids = await accounts.entry_ids(conn, len(credits))
    now = utcnow()
    pairs: list[tuple[accounts.Account, LedgerEntry]] = []
    trails, earned = [], []
    for c, entry_id in zip(credits, ids, strict=True):
        account = held[c.owner.type, c.owner.id]
        entry = await entries.build(
            session, conn, account, c.posting, c.actor, now, entry_id=entry_id
        )
        pairs.append((account, entry))
        trails.append(entries.trail(c.actor, account, entry, c.request_id))
        if entries.earned(c.posting, entry):
            earned.append((account, entry.points))
        _moved(session, account, c.posting)
    heads = [account for account, _ in pairs]
    await accounts.write_many(conn, [e for _, e in pairs], heads, earned, trails, now)
    await announce.entries_settled(session, pairs)
    return [entry for _, entry in pairs]


def _moved(session: AsyncSession, account: accounts.Account, posting: Posting) -> None:
    if not posting.pending:
        accounts.keep_in_step(session, account)
    balance_cache.moved(session, account.owner_type, account.owner_id)


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
    entries.place(account, entry, now)
    if counts_as_earned and entry.points:
        await totals.add_earned(await session.connection(), account, entry.points, now)


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
        picture=entries.snapshot,
    ):
        entry.decided_by_person_id = actor.person_id
        entry.decision_note = note
        if approve:
            await _chain(
                session,
                locked,
                entry,
                counts_as_earned=entries.counts_as_earned(SourceType(entry.source_type)),
            )
        else:
            entry.status = EntryStatus.rejected
    if approve:
        await flags.points_approved(
            session,
            entry=entry,
            owner_type=OwnerType(locked.owner_type),
            owner_id=locked.owner_id,
            actor=actor,
        )
    balance_cache.moved(session, locked.owner_type, locked.owner_id)
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
        session,
        locked,
        reversal,
        counts_as_earned=entries.counts_as_earned(SourceType(entry.source_type)),
    )
    await session.flush()
    balance_cache.moved(session, locked.owner_type, locked.owner_id)
    await audit.record(
        session,
        actor=actor,
        action="points.reverse",
        target_type="ledger_entry",
        target_id=id_of(entry),
        where=location_of(locked),
        after=entries.snapshot(reversal),
    )
    return reversal

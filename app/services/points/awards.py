"""Admin awards and deductions, the approval queue, and what a villager sees of their points."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound, Unprocessable
from app.models.base import id_of
from app.models.media import Media
from app.models.points import (
    LEDGER_OWNER,
    Appeal,
    AppealState,
    AwardCreate,
    EntryStatus,
    Ledger,
    LedgerEntry,
    MediaRef,
    MyEntry,
    MyPoints,
    OwnerType,
    PointsAccount,
    SourceType,
    VerifyResult,
)
from app.models.roster import Household, Person
from app.services.identity import (
    Principal,
    caller_person,
    covers,
    location_of,
    scope_clause,
)
from app.services.kit import Page, Storage, address, keyset_page
from app.services.points import chain, ledger, scoring_rules
from app.services.points.ledger import EntryNotFound
from app.services.roster import get_in_scope


class AccountNotFound(NotFound):
    code = "points.account_not_found"
    detail = "找不到该积分账户。"


class OwnerMismatch(Unprocessable):
    code = "points.owner_mismatch"
    detail = "该积分规则记到农户或个人的账户上，与所填对象不符。"


async def owner_in_scope(
    session: AsyncSession,
    *,
    principal: Principal,
    person_id: int | None,
    household_id: int | None,
) -> ledger.Owner:
    if person_id is not None:
        person = await get_in_scope(session, principal=principal, model=Person, row_id=person_id)
        return ledger.Owner.of_person(person)
    assert household_id is not None
    return ledger.Owner.of_household(
        await get_in_scope(session, principal=principal, model=Household, row_id=household_id)
    )


async def award(session: AsyncSession, *, principal: Principal, data: AwardCreate) -> LedgerEntry:
    owner = await owner_in_scope(
        session,
        principal=principal,
        person_id=data.account_owner.person_id,
        household_id=data.account_owner.household_id,
    )
    rule = await scoring_rules.resolve(
        session, code=data.rule_code, town_id=owner.town_id, village_id=owner.village_id
    )
    book = Ledger(rule.ledger)
    if LEDGER_OWNER[book] is not owner.type:
        raise OwnerMismatch()
    posting = scoring_rules.posting_for(
        rule,
        quantity=data.quantity,
        note=data.note or None,
        media_ids=data.media_ids,
        source_type=SourceType.manual,
        source_id=None,
    )
    return await ledger.credit(session, ledger=book, owner=owner, posting=posting, actor=principal)


async def entry_in_scope(
    session: AsyncSession, *, principal: Principal, entry_id: int
) -> LedgerEntry:
    entry = await session.get(LedgerEntry, entry_id)
    if entry is None or not covers(principal, location_of(entry)):
        raise EntryNotFound()
    return entry


def pending_query(*, principal: Principal) -> Any:
    """The entries waiting for this admin's decision: the list and the dashboard's count."""
    return select(LedgerEntry).where(
        col(LedgerEntry.status) == EntryStatus.pending,
        scope_clause(principal, LedgerEntry),
    )


async def pending(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[LedgerEntry]:
    stmt = pending_query(principal=principal)
    return await keyset_page(session, stmt, order_by=[LedgerEntry.id], limit=limit, cursor=cursor)


async def decide(
    session: AsyncSession,
    *,
    principal: Principal,
    entry_ids: Sequence[int],
    approve: bool,
    note: str | None,
) -> list[LedgerEntry]:
    """All or nothing: one entry out of scope or already decided refuses the whole batch."""
    decided = []
    for entry_id in dict.fromkeys(entry_ids):
        entry = await entry_in_scope(session, principal=principal, entry_id=entry_id)
        decided.append(
            await ledger.decide(session, entry=entry, approve=approve, actor=principal, note=note)
        )
    return decided


async def _my_owner(
    session: AsyncSession, principal: Principal, book: Ledger
) -> ledger.Owner | None:
    person = await caller_person(session, principal)
    if person is None:
        return None
    if LEDGER_OWNER[book] is OwnerType.person:
        return ledger.Owner.of_person(person)
    return ledger.Owner.household_of(person)


async def find_account(
    session: AsyncSession, *, book: Ledger, owner: ledger.Owner
) -> PointsAccount | None:
    return (
        await session.execute(
            select(PointsAccount).where(
                col(PointsAccount.ledger) == book,
                col(PointsAccount.owner_type) == owner.type,
                col(PointsAccount.owner_id) == owner.id,
            )
        )
    ).scalar_one_or_none()


async def _media_refs(
    session: AsyncSession, entries: list[LedgerEntry], storage: Storage
) -> dict[int, MediaRef]:
    ids = {m for e in entries for m in e.media_ids}
    if not ids:
        return {}
    rows = (await session.exec(select(Media).where(col(Media.id).in_(ids)))).all()
    return {
        id_of(m): MediaRef(
            id=id_of(m),
            url=address(storage, m.display_key),
            thumb_url=address(storage, m.thumb_key),
        )
        for m in rows
    }


async def my_points(
    session: AsyncSession,
    *,
    principal: Principal,
    book: Ledger,
    limit: int,
    cursor: str | None,
    storage: Storage,
) -> MyPoints:
    owner = await _my_owner(session, principal, book)
    account = await find_account(session, book=book, owner=owner) if owner else None
    if account is None:
        return MyPoints(account_id=None, ledger=book, balance=0, items=[], next_cursor=None)
    stmt: Any = select(LedgerEntry).where(col(LedgerEntry.account_id) == account.id)
    page = await keyset_page(
        session, stmt, order_by=[LedgerEntry.id], limit=limit, cursor=cursor, descending=True
    )
    ids = [e.id for e in page.items]
    photos = await _media_refs(session, page.items, storage)
    appeals = {
        a.entry_id: a
        for a in (
            await session.execute(select(Appeal).where(col(Appeal.entry_id).in_(ids)))
        ).scalars()
    }
    items = [
        MyEntry(
            id=id_of(e),
            points=e.points,
            balance_after=e.balance_after,
            rule_code=e.rule_code,
            title=e.title,
            status=EntryStatus(e.status),
            capped=e.capped,
            source_type=SourceType(e.source_type),
            source_id=e.source_id,
            note=e.note,
            created_at=e.created_at,
            media=[photos.get(m, MediaRef(id=m)) for m in e.media_ids],
            appeal=_appeal_state(appeals.get(id_of(e))),
        )
        for e in page.items
    ]
    return MyPoints(
        account_id=account.id,
        ledger=book,
        balance=account.balance,
        items=items,
        next_cursor=page.next_cursor,
    )


def _appeal_state(appeal: Appeal | None) -> AppealState | None:
    if appeal is None:
        return None
    return AppealState(id=id_of(appeal), status=appeal.status, decision_note=appeal.decision_note)


async def may_see_account(
    session: AsyncSession, *, principal: Principal, account: PointsAccount
) -> bool:
    """The owner (or a member of the owning household) and admins over its village."""
    if covers(principal, location_of(account)):
        return True
    if principal.person_id is None:
        return False
    if account.owner_type == OwnerType.person:
        return account.owner_id == principal.person_id
    person = await caller_person(session, principal)
    return person is not None and person.household_id == account.owner_id


async def verify_account(
    session: AsyncSession, *, principal: Principal, account_id: int
) -> VerifyResult:
    account = await session.get(PointsAccount, account_id)
    if account is None or not await may_see_account(session, principal=principal, account=account):
        raise AccountNotFound()
    return await chain.verify(session, account=account)

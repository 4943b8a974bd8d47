"""Appeals (申诉): the person, or a member of the household, contests an entry within the town's
window; a village admin upholds (a reversal entry) or rejects it."""

from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.notifications import NotificationKind
from app.models.points import (
    Appeal,
    AppealCreate,
    AppealDecision,
    AppealDecisionKind,
    AppealStatus,
    EntryStatus,
    LedgerEntry,
    OwnerType,
    PointsAccount,
    SourceType,
)
from app.models.roster import Person, Town
from app.services import audit
from app.services.identity import (
    Principal,
    caller_person,
    covers,
    location_of,
    scope_clause,
)
from app.services.kit import Page, keyset_page
from app.services.notifications import notify
from app.services.points import ledger
from app.services.points.ledger import EntryNotFound


class AppealNotFound(NotFound):
    code = "appeal.not_found"
    detail = "找不到该申诉。"


class AppealWindowClosed(Unprocessable):
    code = "appeal.window_closed"
    detail = "已超过申诉期限。"


class AppealNotAllowed(Unprocessable):
    code = "appeal.not_allowed"
    detail = "这条记录不能申诉。"


class AppealDecided(Conflict):
    code = "appeal.already_decided"
    detail = "该申诉已经处理过。"


async def _owns(session: AsyncSession, person: Person, account: PointsAccount) -> bool:
    if account.owner_type == OwnerType.person:
        return account.owner_id == person.id
    return person.household_id == account.owner_id


async def file(
    session: AsyncSession, *, principal: Principal, entry_id: int, data: AppealCreate
) -> tuple[Appeal, bool]:
    """Files an appeal; the same entry appealed again answers the existing appeal (and False)."""
    entry = await session.get(LedgerEntry, entry_id)
    person = await caller_person(session, principal)
    account = await session.get(PointsAccount, entry.account_id) if entry else None
    if (
        entry is None
        or person is None
        or account is None
        or not await _owns(session, person, account)
    ):
        raise EntryNotFound()
    existing = (
        await session.execute(select(Appeal).where(col(Appeal.entry_id) == entry_id))
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    if entry.status not in (
        EntryStatus.posted,
        EntryStatus.pending,
    ) or entry.source_type in (
        SourceType.reversal,
        SourceType.redemption,
    ):
        raise AppealNotAllowed("冲正和兑换记录不能申诉。")
    town = await session.get(Town, entry.town_id) if entry.town_id else None
    days = town.appeal_days if town else 7
    if utcnow() - entry.created_at > timedelta(days=days):
        raise AppealWindowClosed(f"积分记录产生 {days} 天内才能申诉。")
    assert person.id is not None
    appeal = Appeal(
        entry_id=entry_id,
        account_id=id_of(account),
        town_id=entry.town_id,
        village_id=entry.village_id,
        person_id=person.id,
        reason=data.reason,
    )
    session.add(appeal)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="appeal.file",
        target_type="appeal",
        target_id=id_of(appeal),
        where=location_of(appeal),
        after=audit.snapshot(appeal),
    )
    return appeal, True


async def decide(
    session: AsyncSession, *, principal: Principal, appeal_id: int, data: AppealDecision
) -> Appeal:
    appeal = await session.get(Appeal, appeal_id, with_for_update=True)
    if appeal is None or not covers(principal, location_of(appeal)):
        raise AppealNotFound()
    if appeal.status != AppealStatus.open:
        raise AppealDecided()
    async with audit.change(
        session,
        actor=principal,
        row=appeal,
        action=lambda changed: f"appeal.{changed.status}",
        target_type="appeal",
        where=location_of(appeal),
    ):
        entry = await ledger.get_entry(session, appeal.entry_id)
        if data.decision is AppealDecisionKind.uphold:
            reason = f"申诉成立：{data.note}" if data.note else "申诉成立"
            if entry.status == EntryStatus.pending:
                await ledger.decide(
                    session, entry=entry, approve=False, actor=principal, note=reason
                )
            else:
                reversal = await ledger.reverse(
                    session,
                    entry=entry,
                    actor=principal,
                    reason=reason,
                    source_id=f"appeal:{appeal.id}",
                )
                appeal.reversal_entry_id = reversal.id
            appeal.status = AppealStatus.upheld
        else:
            appeal.status = AppealStatus.rejected
        appeal.decision_note = data.note or None
        appeal.decided_by_person_id = principal.person_id
        appeal.decided_at = utcnow()
    verdict = "申诉成立" if appeal.status == AppealStatus.upheld else "申诉未成立"
    await notify(
        session,
        people=[appeal.person_id],
        kind=NotificationKind.appeal_decided,
        target=("appeal", id_of(appeal)),
        title="积分申诉结果",
        body=verdict + (f"：{appeal.decision_note}" if appeal.decision_note else "。"),
        values={"status": verdict, "time": appeal.decided_at, "note": appeal.decision_note},
    )
    return appeal


async def list_appeals(
    session: AsyncSession,
    *,
    principal: Principal,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Appeal]:
    stmt = appeals_query(principal=principal, status=status)
    return await keyset_page(session, stmt, order_by=[Appeal.id], limit=limit, cursor=cursor)


def appeals_query(*, principal: Principal, status: str | None) -> Any:
    stmt: Any = select(Appeal).where(scope_clause(principal, Appeal))
    if status:
        stmt = stmt.where(col(Appeal.status) == status)
    return stmt

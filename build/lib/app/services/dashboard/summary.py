"""One read of what a town or village admin needs each morning. The numbers are the caller's
scope (narrowed to one village on request); the queues are the caller's whole scope, counted
from the very statements their lists page through, so a count never disagrees with its list."""

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import china_today, parse_period, to_china, utcnow
from app.errors import Unprocessable
from app.models.auth import UserAccount
from app.models.dashboard import (
    CadenceCount,
    Dashboard,
    DisclosureCount,
    GridCount,
    Meetings,
    PeopleCount,
    PointsFlow,
    Queues,
)
from app.models.events import EventStatus, PartyEvent
from app.models.grid import GridTask, TaskStatus
from app.models.members import TransferStatus
from app.models.points import EntryStatus, LedgerEntry
from app.models.roster import Branch, Person, Village
from app.models.shop import FundYear, RedemptionStatus, ShopRedemption
from app.models.volunteer import RecordStatus, VolunteerRecord
from app.services import feed, shop
from app.services.duty import requests as service_requests
from app.services.events import attendance, compliance, queues
from app.services.identity import Principal, scope_clause
from app.services.members import mobile, transfers
from app.services.points import appeals, awards
from app.services.proposals import objections
from app.services.roster import get_in_scope
from app.services.warnings import health as branch_health

_OPEN_TASKS = (TaskStatus.reported, TaskStatus.accepted, TaskStatus.in_progress)


class BadPeriod(Unprocessable):
    code = "dashboard.bad_period"
    detail = "period 应为年月，如 2026-11。"


async def _count(session: AsyncSession, stmt: Any) -> int:
    return int(
        (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    )


async def _sum(session: AsyncSession, column: Any, *where: Any) -> int:
    return int(
        (
            await session.execute(select(func.coalesce(func.sum(column), 0)).where(*where))
        ).scalar_one()
    )


class _Scope:
    """The caller's rows of a table, narrowed to one village when one was asked for."""

    def __init__(self, principal: Principal, village_id: int | None) -> None:
        self.principal, self.village_id = principal, village_id

    def of(self, model: Any) -> list[Any]:
        terms = [scope_clause(self.principal, model)]
        if self.village_id is not None:
            terms.append(col(model.village_id) == self.village_id)
        return terms


async def _people(session: AsyncSession, scope: _Scope) -> PeopleCount:
    mine = scope.of(Person)
    bound = select(UserAccount.person_id).where(col(UserAccount.openid).is_not(None))
    return PeopleCount(
        total=await _count(session, select(Person.id).where(*mine)),
        bound=await _count(session, select(Person.id).where(*mine, col(Person.id).in_(bound))),
        party_members=await _count(
            session, select(Person.id).where(*mine, col(Person.is_party_member).is_(True))
        ),
    )


async def _meetings(
    session: AsyncSession, principal: Principal, period: str, village_id: int | None
) -> Meetings:
    report = await compliance.report(session, principal=principal, period=period)
    items = report.items
    if village_id is not None:
        branches = set(
            (
                await session.exec(select(Branch.id).where(col(Branch.village_id) == village_id))
            ).all()
        )
        items = [i for i in items if i.branch_id in branches]
    held = sum(len(i.held) for i in items)
    missing = sum(len(i.missing) for i in items)
    asked = compliance.parse(period)
    periods = {"month": period, "quarter": f"{period[:4]}-Q{(asked.first.month + 2) // 3}"}
    cadences = []
    for cadence in ("month", "quarter", "year"):
        done = sum(1 for i in items for x in i.held if compliance.cadence_of(x) == cadence)
        owed = done + sum(
            1 for i in items for x in i.missing if compliance.cadence_of(x) == cadence
        )
        cadences.append(
            CadenceCount(
                cadence=cadence,
                period=periods.get(cadence, period[:4]),
                held=done,
                required=owed,
            )
        )
    return Meetings(held=held, required=held + missing, missing=missing, cadences=cadences)


async def _attendance_rate(
    session: AsyncSession, scope: _Scope, start: Any, end: Any
) -> float | None:
    held = (
        await session.exec(
            select(PartyEvent).where(
                *scope.of(PartyEvent),
                col(PartyEvent.status) != EventStatus.cancelled,
                col(PartyEvent.starts_at) >= start,
                col(PartyEvent.starts_at) < min(end, utcnow()),
            )
        )
    ).all()
    expected = came = 0
    for event in held:
        counts = await attendance.counts(session, event)
        expected += sum(counts.values())
        came += counts["present"] + counts["late"]
    return round(came / expected, 3) if expected else None


async def _branches_of(session: AsyncSession, village_id: int) -> set[int]:
    found = await session.exec(select(Branch.id).where(col(Branch.village_id) == village_id))
    return {b for b in found.all() if b is not None}


async def _funds_short(session: AsyncSession, scope: _Scope) -> list[FundYear]:
    stmt: Any = select(Village).where(scope_clause(scope.principal, Village))
    if scope.village_id is not None:
        stmt = stmt.where(col(Village.id) == scope.village_id)
    villages = (await session.exec(stmt.order_by(col(Village.id)))).all()
    return await shop.funds.below_minimum(session, list(villages), china_today().year)


async def queue_counts(session: AsyncSession, *, principal: Principal) -> Queues:
    """What waits for this admin, each count from its own list's statement."""
    return Queues(
        points_pending=await _count(session, awards.pending_query(principal=principal)),
        posts_pending=await _count(session, feed.review_query(principal=principal)),
        appeals_open=await _count(
            session, appeals.appeals_query(principal=principal, status="open")
        ),
        leave_pending=await _count(session, queues.leave_query(principal=principal)),
        checkins_pending=await _count(session, queues.checkin_query(principal=principal)),
        service_requests_open=await _count(
            session, service_requests.desk_query(principal=principal, status="open")
        ),
        objections_open=await _count(session, objections.open_query(principal=principal)),
        transfers_pending=await _count(
            session, transfers.listing_query(principal=principal, status=TransferStatus.pending)
        ),
        thought_reports_pending=await _count(session, mobile.reports_query(principal=principal)),
    )


async def dashboard(
    session: AsyncSession, *, principal: Principal, period: str | None, village_id: int | None
) -> Dashboard:
    period = period or to_china(utcnow()).strftime("%Y-%m")
    try:
        start, end = parse_period(period)
    except ValueError as exc:
        raise BadPeriod() from exc
    if village_id is not None:
        await get_in_scope(session, principal=principal, model=Village, row_id=village_id)
    scope = _Scope(principal, village_id)
    in_period = (start, end)
    disclosures = await feed.disclosure_compliance(session, principal=principal, period=period)
    shown = [d for d in disclosures.items if village_id in (None, d.village_id)]
    return Dashboard(
        period=period,
        people=await _people(session, scope),
        meetings=await _meetings(session, principal, period, village_id),
        attendance_rate=await _attendance_rate(session, scope, *in_period),
        points=PointsFlow(
            issued=await _sum(
                session,
                LedgerEntry.points,
                *scope.of(LedgerEntry),
                col(LedgerEntry.status).in_([EntryStatus.posted, EntryStatus.reversed]),
                col(LedgerEntry.points) > 0,
                col(LedgerEntry.posted_at) >= start,
                col(LedgerEntry.posted_at) < end,
            ),
            spent=await _sum(
                session,
                ShopRedemption.points,
                *scope.of(ShopRedemption),
                col(ShopRedemption.status).in_(
                    [RedemptionStatus.reserved, RedemptionStatus.fulfilled]
                ),
                col(ShopRedemption.created_at) >= start,
                col(ShopRedemption.created_at) < end,
            ),
        ),
        grid=GridCount(
            open=await _count(
                session,
                select(GridTask.id).where(
                    *scope.of(GridTask), col(GridTask.status).in_(_OPEN_TASKS)
                ),
            ),
            overdue=await _count(
                session,
                select(GridTask.id).where(
                    *scope.of(GridTask),
                    col(GridTask.status).in_(_OPEN_TASKS),
                    col(GridTask.due_at) < utcnow(),
                ),
            ),
            resolved=await _count(
                session,
                select(GridTask.id).where(
                    *scope.of(GridTask),
                    col(GridTask.resolved_at) >= start,
                    col(GridTask.resolved_at) < end,
                ),
            ),
        ),
        volunteer_minutes=await _sum(
            session,
            VolunteerRecord.minutes,
            *scope.of(VolunteerRecord),
            col(VolunteerRecord.status) == RecordStatus.confirmed,
            col(VolunteerRecord.sign_in_at) >= start,
            col(VolunteerRecord.sign_in_at) < end,
        ),
        disclosures=DisclosureCount(
            published=sum(len(d.published) for d in shown),
            missing=sum(len(d.missing) for d in shown),
        ),
        queues=await queue_counts(session, principal=principal),
        shop_funds_below_minimum=await _funds_short(session, scope),
        branches_to_visit=[
            b
            for b in await branch_health.to_visit(session, principal=principal)
            if village_id is None or b.branch_id in await _branches_of(session, village_id)
        ],
    )

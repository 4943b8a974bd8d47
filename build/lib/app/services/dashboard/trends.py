"""The workbench's charts: attendance and points by month for a year, and the 三会一课 matrix
(branch × month) for the last months, in the caller's scope. The month's own numbers are the
dashboard's (``summary.dashboard``); these are the same sums taken month by month."""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, join
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import parse_period, to_china, utcnow
from app.models.dashboard import MeetingCell, MeetingRow, MonthFigures, Trends
from app.models.events import Attendance, AttendanceStatus, PartyEvent
from app.models.points import EntryStatus, LedgerEntry
from app.models.roster import Branch, Village
from app.models.shop import RedemptionStatus, ShopRedemption
from app.services.events import compliance
from app.services.identity import Principal, scope_clause
from app.services.roster import get_in_scope

_CAME = (AttendanceStatus.present, AttendanceStatus.late)


def last_months(count: int, now: datetime | None = None) -> list[str]:
    """The ``count`` China months up to and including this one, oldest first."""
    moment = to_china(now or utcnow())
    year, month = moment.year, moment.month
    months = []
    for _ in range(count):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


Bounds = list[tuple[datetime, datetime]]


def _month_of(column: Any, bounds: Bounds) -> Any:
    """Which of the months a moment falls in, as the month's index (a CASE works on every
    database, where date_trunc would not): one grouped query for the year, not twelve."""
    whens = [(and_(column >= start, column < end), i) for i, (start, end) in enumerate(bounds)]
    return case(*whens, else_=None)


async def _by_month(
    session: AsyncSession, value: Any, moment: Any, bounds: Bounds, source: Any, *where: Any
) -> list[int]:
    month = _month_of(moment, bounds).label("month")
    stmt = (
        sa_select(month, value)
        .select_from(source)
        .where(*where, moment >= bounds[0][0], moment < bounds[-1][1])
        .group_by(month)
    )
    totals = [0] * len(bounds)
    for index, total in (await session.execute(stmt)).all():
        if index is not None:
            totals[int(index)] = int(total or 0)
    return totals


async def _months(
    session: AsyncSession, principal: Principal, periods: list[str], village_id: int | None
) -> list[MonthFigures]:
    bounds = [parse_period(p) for p in periods]

    def mine(model: Any) -> list[Any]:
        terms = [scope_clause(principal, model)]
        if village_id is not None:
            terms.append(col(model.village_id) == village_id)
        return terms

    attended = await _by_month(
        session,
        func.count(col(Attendance.id)),
        col(PartyEvent.starts_at),
        bounds,
        join(Attendance, PartyEvent, col(PartyEvent.id) == col(Attendance.event_id)),
        *mine(PartyEvent),
        col(Attendance.status).in_(_CAME),
    )
    issued = await _by_month(
        session,
        func.sum(LedgerEntry.points),
        col(LedgerEntry.posted_at),
        bounds,
        LedgerEntry,
        *mine(LedgerEntry),
        col(LedgerEntry.status).in_([EntryStatus.posted, EntryStatus.reversed]),
        col(LedgerEntry.points) > 0,
    )
    spent = await _by_month(
        session,
        func.sum(ShopRedemption.points),
        col(ShopRedemption.created_at),
        bounds,
        ShopRedemption,
        *mine(ShopRedemption),
        col(ShopRedemption.status).in_([RedemptionStatus.reserved, RedemptionStatus.fulfilled]),
    )
    return [
        MonthFigures(period=p, attended=a, points_issued=i, points_spent=s)
        for p, a, i, s in zip(periods, attended, issued, spent, strict=True)
    ]


async def trends(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None = None,
    months: int = 12,
    meeting_months: int = 6,
) -> Trends:
    """The caller's scope, or one village of it (the town's drill-down)."""
    if village_id is not None:
        await get_in_scope(session, principal=principal, model=Village, row_id=village_id)
    figures = await _months(session, principal, last_months(months), village_id)
    branches: set[int] | None = None
    if village_id is not None:
        found = await session.exec(select(Branch.id).where(col(Branch.village_id) == village_id))
        branches = {b for b in found.all() if b is not None}
    rows: dict[int, MeetingRow] = {}
    for period in last_months(meeting_months):
        report = await compliance.report(session, principal=principal, period=period)
        for item in report.items:
            if branches is not None and item.branch_id not in branches:
                continue
            row = rows.setdefault(
                item.branch_id,
                MeetingRow(branch_id=item.branch_id, branch_name=item.branch_name, cells=[]),
            )
            held = len(item.held)
            row.cells.append(
                MeetingCell(period=period, held=held, required=held + len(item.missing))
            )
    return Trends(months=figures, meetings=list(rows.values()))

"""The workbench's charts: attendance and points by month for a year, and the 三会一课 matrix
(branch × month) for the last months, in the caller's scope. The month's own numbers are the
dashboard's (``summary.dashboard``); these are the same sums taken month by month."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import parse_period, to_china, utcnow
from app.models.dashboard import MeetingCell, MeetingRow, MonthFigures, Trends
from app.models.events import Attendance, AttendanceStatus, PartyEvent
from app.models.points import EntryStatus, LedgerEntry
from app.models.shop import RedemptionStatus, ShopRedemption
from app.services.events import attendance
from app.services.identity import Principal, scope_clause

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


async def _scalar(session: AsyncSession, stmt: Any) -> int:
    return int((await session.execute(stmt)).scalar_one() or 0)


async def _month(session: AsyncSession, principal: Principal, period: str) -> MonthFigures:
    start, end = parse_period(period)
    attended = (
        select(func.count(col(Attendance.id)))
        .join(PartyEvent, col(PartyEvent.id) == col(Attendance.event_id))
        .where(
            scope_clause(principal, PartyEvent),
            col(PartyEvent.starts_at) >= start,
            col(PartyEvent.starts_at) < end,
            col(Attendance.status).in_(_CAME),
        )
    )
    issued = select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
        scope_clause(principal, LedgerEntry),
        col(LedgerEntry.status).in_([EntryStatus.posted, EntryStatus.reversed]),
        col(LedgerEntry.points) > 0,
        col(LedgerEntry.posted_at) >= start,
        col(LedgerEntry.posted_at) < end,
    )
    spent = select(func.coalesce(func.sum(ShopRedemption.points), 0)).where(
        scope_clause(principal, ShopRedemption),
        col(ShopRedemption.status).in_([RedemptionStatus.reserved, RedemptionStatus.fulfilled]),
        col(ShopRedemption.created_at) >= start,
        col(ShopRedemption.created_at) < end,
    )
    return MonthFigures(
        period=period,
        attended=await _scalar(session, attended),
        points_issued=await _scalar(session, issued),
        points_spent=await _scalar(session, spent),
    )


async def trends(
    session: AsyncSession, *, principal: Principal, months: int = 12, meeting_months: int = 6
) -> Trends:
    figures = [await _month(session, principal, p) for p in last_months(months)]
    rows: dict[int, MeetingRow] = {}
    for period in last_months(meeting_months):
        report = await attendance.compliance(session, principal=principal, period=period)
        for item in report.items:
            row = rows.setdefault(
                item.branch_id,
                MeetingRow(branch_id=item.branch_id, branch_name=item.branch_name, cells=[]),
            )
            held = len(item.held)
            row.cells.append(
                MeetingCell(period=period, held=held, required=held + len(item.missing))
            )
    return Trends(months=figures, meetings=list(rows.values()))

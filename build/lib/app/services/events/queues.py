"""What waits for an event's admins: leave requests to decide and check-ins to review. The
lists and the dashboard's counts are made from the same statements, so they always agree."""

from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.events import Attendance, AttendanceStatus, LeaveRequest, LeaveStatus, PartyEvent
from app.services.identity import Principal, scope_clause
from app.services.kit import Page, keyset_page


def _events_in_scope(principal: Principal) -> Any:
    return select(PartyEvent.id).where(scope_clause(principal, PartyEvent))


def leave_query(*, principal: Principal) -> Any:
    """Undecided leave requests this admin may decide: for an event they cover, or a member of a
    branch they cover (the two ways ``leave.decide`` admits)."""
    return select(LeaveRequest).where(
        col(LeaveRequest.status) == LeaveStatus.pending,
        or_(
            scope_clause(principal, LeaveRequest),
            col(LeaveRequest.event_id).in_(_events_in_scope(principal)),
        ),
    )


def checkin_query(*, principal: Principal) -> Any:
    """Check-ins held for review (scanned outside the venue) at events this admin covers."""
    return select(Attendance).where(
        col(Attendance.status) == AttendanceStatus.pending_review,
        col(Attendance.event_id).in_(_events_in_scope(principal)),
    )


async def pending_leave(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[LeaveRequest]:
    return await keyset_page(
        session,
        leave_query(principal=principal),
        order_by=[col(LeaveRequest.id)],
        limit=limit,
        cursor=cursor,
    )


async def checkins_to_review(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[Attendance]:
    return await keyset_page(
        session,
        checkin_query(principal=principal),
        order_by=[col(Attendance.id)],
        limit=limit,
        cursor=cursor,
    )

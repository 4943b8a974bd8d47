"""Whether a mobile member who was not at a home meeting took part elsewhere that month: they
checked in at any branch's themed Party day, or the home branch accepted their thought report
for the month. Such a member is "attended elsewhere", never absent."""

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA
from app.models.events import Attendance, AttendanceStatus, EventKind, PartyEvent
from app.models.members import Direction, MobileMember, ReportStatus, ThoughtReport
from app.models.roster import Person

_CAME = (AttendanceStatus.present, AttendanceStatus.late, AttendanceStatus.pending_review)


def _month_bounds(day: date) -> tuple[datetime, datetime]:
    first = datetime(day.year, day.month, 1, tzinfo=CHINA)
    after = (
        datetime(day.year + 1, 1, 1, tzinfo=CHINA)
        if day.month == 12
        else datetime(day.year, day.month + 1, 1, tzinfo=CHINA)
    )
    return first, after


async def mobile_among(session: AsyncSession, person_ids: Collection[int], on: date) -> set[int]:
    """Those of these people who are mobile members on that day."""
    if not person_ids:
        return set()
    flagged = await session.exec(
        select(Person.id).where(
            col(Person.id).in_(person_ids), col(Person.is_mobile_member).is_(True)
        )
    )
    out = await session.exec(
        select(MobileMember.person_id).where(
            col(MobileMember.person_id).in_(person_ids),
            col(MobileMember.direction) == Direction.out,
            col(MobileMember.since) <= on,
            or_(col(MobileMember.ended_at).is_(None), col(MobileMember.ended_at) >= on),
        )
    )
    return {p for p in (*flagged.all(), *out.all()) if p is not None}


async def attended_elsewhere(
    session: AsyncSession, person_ids: Collection[int], on: date, *, but_event: int
) -> set[int]:
    """Of these (absent) people, the mobile members who took part elsewhere in ``on``'s month."""
    mobile = await mobile_among(session, person_ids, on)
    if not mobile:
        return set()
    first, after = _month_bounds(on)
    scanned = await session.exec(
        select(Attendance.person_id)
        .join(PartyEvent, col(PartyEvent.id) == col(Attendance.event_id))
        .where(
            col(Attendance.person_id).in_(mobile),
            col(Attendance.status).in_(_CAME),
            col(Attendance.event_id) != but_event,
            col(PartyEvent.kind) == EventKind.party_day,
            col(PartyEvent.starts_at) >= first,
            col(PartyEvent.starts_at) < after,
        )
    )
    reported = await session.exec(
        select(ThoughtReport.person_id).where(
            col(ThoughtReport.person_id).in_(mobile),
            col(ThoughtReport.period) == f"{on.year}-{on.month:02d}",
            col(ThoughtReport.status) == ReportStatus.accepted,
        )
    )
    return set(scanned.all()) | set(reported.all())

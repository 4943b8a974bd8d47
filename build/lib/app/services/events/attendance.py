"""Attendance: per event, per member per year, per branch per month."""

from collections import Counter
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, parse_period, to_china, year_bounds
from app.errors import Unprocessable
from app.models.base import id_of
from app.models.events import (
    Attendance,
    AttendanceReport,
    AttendanceRow,
    AttendanceStatus,
    BranchMonth,
    EventKind,
    EventStatus,
    EventSummary,
    LeaveRequest,
    LeaveStatus,
    MemberYear,
    PartyEvent,
)
from app.models.party_life import PartyGroupMember
from app.models.roster import Branch, Person
from app.services.events import events
from app.services.identity import Principal
from app.services.members import elsewhere as member_elsewhere
from app.services.roster import get_in_scope


class BadPeriod(Unprocessable):
    code = "report.bad_period"
    detail = "period 应为 YYYY-MM。"


async def _expected_people(session: AsyncSession, event: PartyEvent) -> list[Person]:
    members: Any = select(Person).where(col(Person.is_party_member).is_(True))
    if event.party_group_id is not None:
        members = members.join(
            PartyGroupMember, col(PartyGroupMember.person_id) == col(Person.id)
        ).where(col(PartyGroupMember.group_id) == event.party_group_id)
    else:
        members = members.where(col(Person.branch_id).in_(events.expected_branches(event)))
    people = list((await session.exec(members)).all())
    named = set(event.invitee_ids) - {id_of(p) for p in people}
    if named:
        people += (await session.exec(select(Person).where(col(Person.id).in_(named)))).all()
    people.sort(key=lambda p: (p.branch_id is None, p.branch_id or 0, id_of(p)))
    return people


async def expected(session: AsyncSession, event: PartyEvent) -> list[AttendanceRow]:
    """Every person the event expects, with where each stands (present … absent)."""
    members = await _expected_people(session, event)
    checkins = {
        a.person_id: a
        for a in (await session.exec(select(Attendance).where(Attendance.event_id == event.id)))
    }
    excused = set(
        (
            await session.exec(
                select(LeaveRequest.person_id).where(
                    LeaveRequest.event_id == event.id,
                    LeaveRequest.status == LeaveStatus.approved,
                )
            )
        ).all()
    )
    rows = []
    for person in members:
        found = checkins.get(id_of(person))
        counted = found is not None and found.status in (
            AttendanceStatus.present,
            AttendanceStatus.late,
            AttendanceStatus.pending_review,
        )
        status: Any = (
            found.status if counted and found else "excused" if person.id in excused else "absent"
        )
        rows.append(
            AttendanceRow(
                person_id=id_of(person),
                name=person.name,
                branch_id=person.branch_id,
                is_member=person.is_party_member,
                status=status,
                scanned_at=found.scanned_at if counted and found else None,
                checkin_id=found.id if found else None,
            )
        )
    absent = [r.person_id for r in rows if r.status == "absent" and r.is_member]
    if absent:
        # A member working in the city who took part elsewhere that month is not absent here.
        elsewhere = await member_elsewhere.attended_elsewhere(
            session, absent, to_china(event.starts_at).date(), but_event=id_of(event)
        )
        for row in rows:
            if row.person_id in elsewhere and row.status == "absent":
                row.status = "attended_elsewhere"
    return rows


async def counts(session: AsyncSession, event: PartyEvent) -> Counter[str]:
    """How many of the event's expected members were present, late, excused, absent."""
    return Counter(r.status for r in await expected(session, event))


async def event_report(
    session: AsyncSession, *, principal: Principal, event_id: int
) -> AttendanceReport:
    event = await events.event_for_host(session, principal=principal, event_id=event_id)
    rows = await expected(session, event)
    counts = Counter(r.status for r in rows)
    return AttendanceReport(
        event_id=event_id,
        title=event.title,
        expected=len(rows),
        present=counts["present"],
        late=counts["late"],
        excused=counts["excused"],
        absent=counts["absent"],
        pending_review=counts["pending_review"],
        attended_elsewhere=counts["attended_elsewhere"],
        items=rows,
    )


async def branch_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    rows = (await session.exec(select(Branch).where(col(Branch.id).in_(ids)))).all()
    return {id_of(b): b.name for b in rows}


async def member_year(
    session: AsyncSession, *, principal: Principal, person_id: int, year: int
) -> MemberYear:
    person = await get_in_scope(session, principal=principal, model=Person, row_id=person_id)
    start, end = year_bounds(datetime(year, 7, 1, tzinfo=CHINA))
    held = (
        await session.exec(
            select(PartyEvent).where(
                col(PartyEvent.town_id) == person.town_id,
                col(PartyEvent.status) == EventStatus.scheduled,
                col(PartyEvent.starts_at) >= start,
                col(PartyEvent.starts_at) < end,
            )
        )
    ).all()
    counts: Counter[str] = Counter()
    for event in held:
        if person.branch_id not in events.expected_branches(event):
            continue
        row = next((r for r in await expected(session, event) if r.person_id == person_id), None)
        if row is not None:
            counts[row.status] += 1
    return MemberYear(
        person_id=person_id,
        year=year,
        expected=sum(counts.values()),
        present=counts["present"],
        late=counts["late"],
        excused=counts["excused"],
        absent=counts["absent"],
    )


async def branch_month(
    session: AsyncSession, *, principal: Principal, branch_id: int, period: str
) -> BranchMonth:
    """Each event a branch held in a month, with its attendance counts."""
    await get_in_scope(session, principal=principal, model=Branch, row_id=branch_id)
    try:
        start, end = parse_period(period)
    except ValueError as exc:
        raise BadPeriod() from exc
    held = (
        await session.exec(
            select(PartyEvent)
            .where(
                col(PartyEvent.branch_id) == branch_id,
                col(PartyEvent.starts_at) >= start,
                col(PartyEvent.starts_at) < end,
            )
            .order_by(col(PartyEvent.starts_at))
        )
    ).all()
    items = []
    for event in held:
        counts = Counter(r.status for r in await expected(session, event))
        items.append(
            EventSummary(
                event_id=id_of(event),
                kind=EventKind(event.kind),
                title=event.title,
                starts_at=event.starts_at,
                expected=sum(counts.values()),
                present=counts["present"],
                late=counts["late"],
                excused=counts["excused"],
                absent=counts["absent"],
            )
        )
    return BranchMonth(branch_id=branch_id, period=period, items=items)

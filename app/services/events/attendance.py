"""Attendance: per event (with a spreadsheet), per member per year, and the 三会一课
compliance of each branch for a month or a quarter."""

from collections import Counter
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, parse_period, year_bounds
from app.errors import Unprocessable
from app.models.base import id_of
from app.models.events import (
    Attendance,
    AttendanceReport,
    AttendanceRow,
    AttendanceStatus,
    BranchMonth,
    ComplianceItem,
    ComplianceReport,
    EventKind,
    EventSummary,
    LeaveRequest,
    LeaveStatus,
    MemberYear,
    PartyEvent,
)
from app.models.roster import Branch, Person
from app.services.events import events
from app.services.identity import Principal, scope_clause
from app.services.roster import get_in_scope


class BadPeriod(Unprocessable):
    code = "report.bad_period"
    detail = "period 应为 YYYY-MM。"


MONTHLY = (EventKind.party_day, EventKind.branch_committee, EventKind.group_meeting)
QUARTERLY = (EventKind.branch_congress, EventKind.party_lecture)


async def expected(session: AsyncSession, event: PartyEvent) -> list[AttendanceRow]:
    """Every member the event expects, with where each stands (present … absent)."""
    members = (
        await session.exec(
            select(Person)
            .where(
                col(Person.is_party_member).is_(True),
                col(Person.branch_id).in_(events.expected_branches(event)),
            )
            .order_by(col(Person.branch_id), col(Person.id))
        )
    ).all()
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
                status=status,
                scanned_at=found.scanned_at if counted and found else None,
                checkin_id=found.id if found else None,
            )
        )
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


def _quarter_months(period: str) -> list[str]:
    year_text, quarter_text = period.split("-Q")
    quarter = int(quarter_text)
    if not 1 <= quarter <= 4:
        raise ValueError("quarter")
    return [f"{year_text}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]


async def compliance(
    session: AsyncSession, *, principal: Principal, period: str
) -> ComplianceReport:
    """Which of 三会一课 each branch held: monthly kinds in every month of the period, and the
    quarterly ones in the quarter holding it."""
    try:
        months = _quarter_months(period) if "-Q" in period else [period]
        bounds = [parse_period(m) for m in months]
        year = int(months[0][:4])
        quarter = (int(months[0][5:7]) - 1) // 3 + 1
        quarter_bounds = (
            parse_period(f"{year}-{3 * quarter - 2:02d}")[0],
            parse_period(f"{year}-{3 * quarter:02d}")[1],
        )
    except (ValueError, IndexError) as exc:
        raise BadPeriod("period 应为 YYYY-MM 或 YYYY-Qn。") from exc
    branches = (
        await session.exec(
            select(Branch).where(scope_clause(principal, Branch)).order_by(col(Branch.id))
        )
    ).all()
    held_events = (
        await session.exec(
            select(PartyEvent).where(
                col(PartyEvent.branch_id).in_([b.id for b in branches]),
                col(PartyEvent.starts_at) >= min(quarter_bounds[0], bounds[0][0]),
                col(PartyEvent.starts_at) < max(quarter_bounds[1], bounds[-1][1]),
            )
        )
    ).all()
    items = []
    for branch in branches:
        mine = [e for e in held_events if e.branch_id == branch.id]
        held: list[str] = []
        missing: list[str] = []
        for month, (start, end) in zip(months, bounds, strict=True):
            kinds = {e.kind for e in mine if start <= e.starts_at < end}
            for kind in MONTHLY:
                label = kind.value if len(months) == 1 else f"{kind.value}:{month}"
                (held if kind.value in kinds else missing).append(label)
        quarter_kinds = {
            e.kind for e in mine if quarter_bounds[0] <= e.starts_at < quarter_bounds[1]
        }
        for kind in QUARTERLY:
            (held if kind.value in quarter_kinds else missing).append(kind.value)
        items.append(
            ComplianceItem(
                branch_id=id_of(branch), branch_name=branch.name, held=held, missing=missing
            )
        )
    return ComplianceReport(period=period, items=items)

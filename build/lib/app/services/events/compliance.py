"""Whether a branch carried out 三会一课 and the plan's other cadences, as the county means it:
an event counts as held only when somebody came and its minutes were filed within the town's
days (and not sent back). One rule for the report, the dashboard and the contest."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, to_china, utcnow
from app.errors import Unprocessable
from app.models.base import id_of
from app.models.events import (
    Attendance,
    AttendanceStatus,
    ComplianceEvent,
    ComplianceItem,
    ComplianceReport,
    EventKind,
    EventState,
    EventStatus,
    PartyEvent,
)
from app.models.party_life import EventMinutes
from app.models.roster import Branch, Town
from app.services.identity import Principal, scope_clause

MONTHLY = (EventKind.party_day, EventKind.branch_committee, EventKind.group_meeting)
QUARTERLY = (EventKind.branch_congress, EventKind.party_lecture, EventKind.training)
YEARLY = (EventKind.org_life_meeting, EventKind.member_review)
CADENCE = {
    **{k: "month" for k in MONTHLY},
    **{k: "quarter" for k in QUARTERLY},
    **{k: "year" for k in YEARLY},
}
DEFAULT_DUE_DAYS = 7
# Someone was there: a scan under review is a person at the venue all the same.
_CAME = (AttendanceStatus.present, AttendanceStatus.late, AttendanceStatus.pending_review)


class BadPeriod(Unprocessable):
    code = "report.bad_period"
    detail = "period 应为 YYYY-MM、YYYY-Qn 或 YYYY。"


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # 2026-05, 2026-Q2 or 2026
    first: date  # its first China day
    after: date  # the China day after its last

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), tzinfo=CHINA)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.after, datetime.min.time(), tzinfo=CHINA)

    def holds(self, moment: datetime) -> bool:
        return self.first <= to_china(moment).date() < self.after


def _month(year: int, month: int) -> Period:
    after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(f"{year}-{month:02d}", date(year, month, 1), after)


def _quarter(year: int, quarter: int) -> Period:
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(f"{year}-Q{quarter}", date(year, 3 * quarter - 2, 1), after)


def _year(year: int) -> Period:
    return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))


def parse(period: str) -> Period:
    try:
        year = int(period[:4])
        if not 2000 <= year <= 2100 or (len(period) > 4 and period[4] != "-"):
            raise ValueError(period)
        rest = period[5:]
        if len(period) == 4:
            return _year(year)
        if rest.startswith("Q") and len(rest) == 2 and rest[1] in "1234":
            return _quarter(year, int(rest[1]))
        if len(rest) == 2 and rest.isdigit() and 1 <= int(rest) <= 12:
            return _month(year, int(rest))
    except ValueError:
        pass
    raise BadPeriod()


def slots(period: Period) -> list[tuple[EventKind, Period]]:
    """What the period asks of a branch: each monthly kind in each of its months, each quarterly
    kind in each quarter it touches, each yearly kind in its year."""
    year = period.first.year
    months = [
        _month(year, m) for m in range(1, 13) if period.first <= date(year, m, 1) < period.after
    ]
    quarters = [
        q
        for q in (_quarter(year, n) for n in range(1, 5))
        if q.first < period.after and period.first < q.after
    ]
    wanted = [(k, m) for m in months for k in MONTHLY]
    wanted += [(k, q) for q in quarters for k in QUARTERLY]
    wanted += [(k, _year(year)) for k in YEARLY]
    return wanted


def due_on(event: PartyEvent, due_days: int) -> date:
    """The last China day the minutes may be filed on and still count."""
    return to_china(event.ends_at).date() + timedelta(days=due_days)


@dataclass(frozen=True, slots=True)
class Record:
    """What decides an event's state, read for many events at once."""

    attended: bool
    first_filed: datetime | None
    returned: bool  # the latest version was sent back


def state_of(event: PartyEvent, record: Record, due: date, now: datetime) -> EventState:
    if event.status == EventStatus.cancelled:
        return EventState.cancelled
    if now < event.ends_at or not record.attended:
        return EventState.scheduled
    if record.first_filed is None or to_china(record.first_filed).date() > due:
        return EventState.minutes_missing
    if record.returned:
        return EventState.minutes_returned
    return EventState.held


async def records(session: AsyncSession, event_ids: Sequence[int]) -> dict[int, Record]:
    ids = list(event_ids)
    attended: set[int] = set()
    filed: dict[int, datetime] = {}
    latest: dict[int, EventMinutes] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        came = await session.exec(
            select(Attendance.event_id)
            .where(col(Attendance.event_id).in_(part), col(Attendance.status).in_(_CAME))
            .distinct()
        )
        attended.update(came.all())
        minutes = await session.exec(
            select(EventMinutes)
            .where(col(EventMinutes.event_id).in_(part))
            .order_by(col(EventMinutes.event_id), col(EventMinutes.version))
        )
        for version in minutes.all():
            filed.setdefault(version.event_id, version.filed_at)
            latest[version.event_id] = version
    return {
        i: Record(
            attended=i in attended,
            first_filed=filed.get(i),
            returned=i in latest and latest[i].returned_at is not None,
        )
        for i in ids
    }


async def due_days_of(session: AsyncSession, town_ids: set[int]) -> dict[int, int]:
    if not town_ids:
        return {}
    towns = await session.exec(select(Town).where(col(Town.id).in_(town_ids)))
    return {id_of(t): t.minutes_due_days for t in towns.all()}


async def states(
    session: AsyncSession, events: Sequence[PartyEvent], now: datetime | None = None
) -> dict[int, tuple[EventState, date]]:
    """Each event's state and the day its minutes are due."""
    now = now or utcnow()
    found = await records(session, [id_of(e) for e in events])
    days = await due_days_of(session, {e.town_id for e in events})
    answer = {}
    for event in events:
        due = due_on(event, days.get(event.town_id, DEFAULT_DUE_DAYS))
        answer[id_of(event)] = (state_of(event, found[id_of(event)], due, now), due)
    return answer


async def _events_of(
    session: AsyncSession, branch_ids: Sequence[int], period: Period
) -> list[PartyEvent]:
    year = _year(period.first.year)
    found = await session.exec(
        select(PartyEvent)
        .where(
            col(PartyEvent.branch_id).in_(branch_ids),
            col(PartyEvent.starts_at) >= year.start,
            col(PartyEvent.starts_at) < year.end,
        )
        .order_by(col(PartyEvent.starts_at), col(PartyEvent.id))
    )
    return list(found.all())


def _label(kind: EventKind, slot: Period, wanted: list[tuple[EventKind, Period]]) -> str:
    alone = sum(1 for k, _ in wanted if k == kind) == 1
    return kind.value if alone else f"{kind.value}:{slot.label}"


def _item(
    branch: Branch,
    mine: list[PartyEvent],
    found: dict[int, tuple[EventState, date]],
    wanted: list[tuple[EventKind, Period]],
) -> ComplianceItem:
    held: list[str] = []
    missing: list[str] = []
    for kind, slot in wanted:
        done = any(
            e.kind == kind and slot.holds(e.starts_at) and found[id_of(e)][0] == EventState.held
            for e in mine
        )
        (held if done else missing).append(_label(kind, slot, wanted))
    shown = [
        e for e in mine if any(e.kind == kind and slot.holds(e.starts_at) for kind, slot in wanted)
    ]
    return ComplianceItem(
        branch_id=id_of(branch),
        branch_name=branch.name,
        held=held,
        missing=missing,
        events=[
            ComplianceEvent(
                event_id=id_of(e),
                kind=EventKind(e.kind),
                title=e.title,
                starts_at=e.starts_at,
                ends_at=e.ends_at,
                state=found[id_of(e)][0],
                minutes_due_on=found[id_of(e)][1],
                party_group_id=e.party_group_id,
            )
            for e in shown
        ],
    )


async def branch_items(
    session: AsyncSession, branches: Sequence[Branch], period: Period
) -> list[ComplianceItem]:
    events = await _events_of(session, [id_of(b) for b in branches], period)
    found = await states(session, events)
    by_branch: dict[int, list[PartyEvent]] = defaultdict(list)
    for event in events:
        by_branch[event.branch_id].append(event)
    wanted = slots(period)
    return [_item(b, by_branch[id_of(b)], found, wanted) for b in branches]


async def report(session: AsyncSession, *, principal: Principal, period: str) -> ComplianceReport:
    """Every branch in the caller's scope: which of the period's cadences it carried out, and
    each event with its state."""
    asked = parse(period)
    branches = (
        await session.exec(
            select(Branch).where(scope_clause(principal, Branch)).order_by(col(Branch.id))
        )
    ).all()
    return ComplianceReport(period=asked.label, items=await branch_items(session, branches, asked))


async def held_share(
    session: AsyncSession, branches: Sequence[Branch], year: int
) -> dict[int, float]:
    """The share of the year's cadences each branch carried out (the contest's criterion)."""
    items = await branch_items(session, branches, _year(year))
    return {i.branch_id: len(i.held) / (len(i.held) + len(i.missing)) for i in items}


def cadence_of(label: str) -> str:
    return CADENCE[EventKind(label.split(":")[0])]

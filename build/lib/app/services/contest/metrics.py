"""The contest's computed criteria, from the data the town already keeps, for one year, per
branch; then normalised across the town's branches so the best scores 100 (and nothing, 0).

- meeting_compliance: the share of the year's cadences held as the compliance report counts
  them (3 monthly kinds × 12 months, 3 quarterly kinds × 4 quarters, 2 yearly kinds).
- attendance_rate: present and late over expected, over the branch's Party days and meetings.
- volunteer_minutes_per_member: confirmed minutes of its members over their number.
- disclosures_on_time: the share of the village's 6 × 12 monthly disclosures published within
  their month (the plan: 每月…上传).
- collective_income: its cooperatives' collective income that year (fen).
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, to_china, year_bounds
from app.models.base import id_of
from app.models.contest import Metric
from app.models.cooperatives import CooperativeReport
from app.models.events import EventStatus, PartyEvent
from app.models.feed import DISCLOSURES, Post, PostStatus
from app.models.roster import Branch, Person
from app.models.volunteer import RecordStatus, VolunteerRecord
from app.services.events import attendance, compliance


def normalise(raw: dict[int, float]) -> dict[int, float]:
    best = max(raw.values(), default=0)
    if best <= 0:
        return {branch: 0.0 for branch in raw}
    return {branch: round(value * 100 / best, 2) for branch, value in raw.items()}


async def _events(session: AsyncSession, town_id: int, year: int) -> Sequence[PartyEvent]:
    start, end = year_bounds(datetime(year, 7, 1, tzinfo=CHINA))
    return (
        await session.exec(
            select(PartyEvent).where(
                col(PartyEvent.town_id) == town_id,
                col(PartyEvent.status) != EventStatus.cancelled,
                col(PartyEvent.starts_at) >= start,
                col(PartyEvent.starts_at) < end,
            )
        )
    ).all()


async def meeting_compliance(
    session: AsyncSession, branches: Sequence[Branch], town_id: int, year: int
) -> dict[int, float]:
    return await compliance.held_share(session, branches, year)


async def attendance_rate(
    session: AsyncSession, branches: Sequence[Branch], town_id: int, year: int
) -> dict[int, float]:
    came: dict[int, int] = {id_of(b): 0 for b in branches}
    owed: dict[int, int] = {id_of(b): 0 for b in branches}
    for event in await _events(session, town_id, year):
        for row in await attendance.expected(session, event):
            if row.branch_id in owed:
                if not row.is_member:
                    continue  # invited by name, not a Party member: in no branch's rate
                owed[row.branch_id] += 1
                came[row.branch_id] += row.status in ("present", "late", "attended_elsewhere")
    return {b: (came[b] / owed[b] if owed[b] else 0.0) for b in owed}


async def volunteer_minutes_per_member(
    session: AsyncSession, branches: Sequence[Branch], town_id: int, year: int
) -> dict[int, float]:
    start, end = year_bounds(datetime(year, 7, 1, tzinfo=CHINA))
    ids = [id_of(b) for b in branches]
    members = dict(
        (
            await session.exec(
                select(Person.branch_id, func.count())
                .where(col(Person.branch_id).in_(ids), col(Person.is_party_member).is_(True))
                .group_by(col(Person.branch_id))
            )
        ).all()
    )
    minutes = dict(
        (
            await session.exec(
                select(Person.branch_id, func.sum(VolunteerRecord.minutes))
                .join(Person, col(Person.id) == col(VolunteerRecord.person_id))
                .where(
                    col(Person.branch_id).in_(ids),
                    col(Person.is_party_member).is_(True),
                    col(VolunteerRecord.status) == RecordStatus.confirmed,
                    col(VolunteerRecord.sign_in_at) >= start,
                    col(VolunteerRecord.sign_in_at) < end,
                )
                .group_by(col(Person.branch_id))
            )
        ).all()
    )
    return {b: (int(minutes.get(b) or 0) / members[b] if members.get(b) else 0.0) for b in ids}


async def disclosures_on_time(
    session: AsyncSession, branches: Sequence[Branch], town_id: int, year: int
) -> dict[int, float]:
    villages = {b.village_id for b in branches if b.village_id is not None}
    posts = (
        await session.exec(
            select(Post).where(
                col(Post.village_id).in_(villages),
                col(Post.status) == PostStatus.published,
                col(Post.disclosure_period).like(f"{year}-%"),
            )
        )
    ).all()
    on_time: dict[int, set[tuple[str, str]]] = {v: set() for v in villages}
    for post in posts:
        if (
            post.category not in DISCLOSURES
            or post.published_at is None
            or not post.disclosure_period
        ):
            continue
        period_year, period_month = (int(x) for x in post.disclosure_period.split("-"))
        published = to_china(post.published_at)
        # Within the month itself: the plan's 每月…上传.
        months_late = (published.year - period_year) * 12 + published.month - period_month
        if months_late <= 0 and post.village_id is not None:
            on_time[post.village_id].add((post.category, post.disclosure_period))
    whole = len(DISCLOSURES) * 12
    return {
        id_of(b): (len(on_time.get(b.village_id, set())) / whole if b.village_id else 0.0)
        for b in branches
    }


async def collective_income(
    session: AsyncSession, branches: Sequence[Branch], town_id: int, year: int
) -> dict[int, float]:
    ids = [id_of(b) for b in branches]
    income = dict(
        (
            await session.exec(
                select(
                    CooperativeReport.branch_id, func.sum(CooperativeReport.collective_income_fen)
                )
                .where(
                    col(CooperativeReport.branch_id).in_(ids), col(CooperativeReport.year) == year
                )
                .group_by(col(CooperativeReport.branch_id))
            )
        ).all()
    )
    return {b: float(income.get(b) or 0) for b in ids}


async def with_reports(session: AsyncSession, branches: Sequence[Branch], year: int) -> set[int]:
    """The branches leading a cooperative that reported for the year (the plan's hard one)."""
    found = await session.exec(
        select(CooperativeReport.branch_id)
        .where(
            col(CooperativeReport.branch_id).in_([id_of(b) for b in branches]),
            col(CooperativeReport.year) == year,
        )
        .distinct()
    )
    return {b for b in found.all() if b is not None}


MEASURES = {
    Metric.meeting_compliance: meeting_compliance,
    Metric.attendance_rate: attendance_rate,
    Metric.volunteer_minutes_per_member: volunteer_minutes_per_member,
    Metric.disclosures_on_time: disclosures_on_time,
    Metric.collective_income: collective_income,
}


async def measure(
    session: AsyncSession, metric: Metric, branches: Sequence[Branch], town_id: int, year: int
) -> dict[int, float]:
    """The metric per branch, normalised to 0–100 across ``branches``."""
    return normalise(await MEASURES[metric](session, branches, town_id, year))

"""What volunteers and organisers read: my minutes and stars, the certificate's facts, and the
per-activity and per-village reports."""

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, china_today, parse_period
from app.errors import Unprocessable
from app.models.base import id_of
from app.models.points import Ledger, OwnerType, PointsAccount
from app.models.roster import Person, Town, Village
from app.models.volunteer import (
    ActivityReportLine,
    MyVolunteer,
    RecordPublic,
    RecordStatus,
    VolunteerActivity,
    VolunteerRecord,
    VolunteerReport,
)
from app.services.identity import Principal, bound_person, covers, location_of, scope_clause
from app.services.points import stars
from app.services.roster import VillageNotFound, get_in_scope
from app.services.volunteer import certificates
from app.services.volunteer.activities import organised
from app.services.volunteer.certificates import Certificate
from app.services.volunteer.records import my_records


class BadPeriod(Unprocessable):
    code = "volunteer.bad_period"
    detail = "结束日期不能早于开始日期。"


async def mine(
    session: AsyncSession, *, principal: Principal, star_hours: list[int]
) -> MyVolunteer:
    minutes = 0
    if principal.person_id is not None:
        minutes = (
            await session.exec(
                select(PointsAccount.balance).where(
                    col(PointsAccount.ledger) == Ledger.volunteer,
                    col(PointsAccount.owner_type) == OwnerType.person,
                    col(PointsAccount.owner_id) == principal.person_id,
                )
            )
        ).first() or 0
    level, to_next = stars.volunteer_star(minutes, star_hours)
    rows = await my_records(session, principal=principal)
    return MyVolunteer(
        minutes=minutes,
        star_level=level,
        next_level_minutes=to_next,
        records=[RecordPublic.model_validate(r) for r in rows],
    )


def _china_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


async def certificate_png(
    session: AsyncSession,
    *,
    principal: Principal,
    date_from: date | None,
    date_to: date | None,
    font: str | None,
) -> bytes:
    """The certificate of this volunteer's confirmed hours in the period, as a PNG."""
    facts = await certificate(session, principal=principal, date_from=date_from, date_to=date_to)
    return certificates.render(facts, certificates.find_font(font))


async def certificate(
    session: AsyncSession, *, principal: Principal, date_from: date | None, date_to: date | None
) -> Certificate:
    person = await bound_person(session, principal)
    return await _certificate(session, person, date_from, date_to)


async def certificate_of(
    session: AsyncSession,
    *,
    principal: Principal,
    person_id: int,
    date_from: date | None,
    date_to: date | None,
    font: str | None,
) -> bytes:
    """A volunteer's certificate as their village's admin prints it for them (a villager
    without a smartphone asks at the office), as a PNG."""
    person = await get_in_scope(session, principal=principal, model=Person, row_id=person_id)
    facts = await _certificate(session, person, date_from, date_to)
    return certificates.render(facts, certificates.find_font(font))


async def _certificate(
    session: AsyncSession, person: Person, date_from: date | None, date_to: date | None
) -> Certificate:
    today = china_today()
    start = date_from or date(today.year, 1, 1)
    end = date_to or today
    if end < start:
        raise BadPeriod()
    rows = (
        await session.exec(
            select(VolunteerRecord.minutes)
            .join(VolunteerActivity, col(VolunteerActivity.id) == col(VolunteerRecord.activity_id))
            .where(
                col(VolunteerRecord.person_id) == person.id,
                col(VolunteerRecord.status) == RecordStatus.confirmed,
                col(VolunteerActivity.starts_at) >= _china_day_start(start),
                col(VolunteerActivity.starts_at) < _china_day_start(end + timedelta(days=1)),
            )
        )
    ).all()
    town = await session.get(Town, person.town_id) if person.town_id else None
    village = await session.get(Village, person.village_id) if person.village_id else None
    organisation = "".join(x.name for x in (town, village) if x) or "乡治志愿服务"
    return Certificate(
        name=person.name,
        minutes=sum(rows),
        activities=len(rows),
        period_from=start,
        period_to=end,
        organisation=organisation,
        issued_on=today,
    )


async def report(
    session: AsyncSession,
    *,
    principal: Principal,
    period: str | None,
    village_id: int | None,
    activity_id: int | None,
) -> VolunteerReport:
    stmt: Any = select(VolunteerActivity).where(scope_clause(principal, VolunteerActivity))
    if activity_id is not None:
        await organised(session, principal=principal, activity_id=activity_id)
        stmt = stmt.where(col(VolunteerActivity.id) == activity_id)
    if period is not None:
        start, end = parse_period(period)
        stmt = stmt.where(
            col(VolunteerActivity.starts_at) >= start, col(VolunteerActivity.starts_at) < end
        )
    if village_id is not None:
        village = await session.get(Village, village_id)
        if village is None or not covers(principal, location_of(village)):
            raise VillageNotFound()
        stmt = stmt.where(col(VolunteerActivity.village_id) == village_id)
    activities = (await session.exec(stmt.order_by(col(VolunteerActivity.starts_at)))).all()
    ids = [a.id for a in activities]
    rows = (
        (
            await session.exec(
                select(VolunteerRecord).where(col(VolunteerRecord.activity_id).in_(ids))
            )
        ).all()
        if ids
        else []
    )
    lines = []
    for activity in activities:
        mine_rows = [r for r in rows if r.activity_id == activity.id]
        confirmed = [r for r in mine_rows if r.status == RecordStatus.confirmed]
        lines.append(
            ActivityReportLine(
                activity_id=id_of(activity),
                title=activity.title,
                starts_at=activity.starts_at,
                volunteers=len({r.person_id for r in confirmed}),
                confirmed_minutes=sum(r.minutes for r in confirmed),
                pending=sum(
                    1
                    for r in mine_rows
                    if r.status in (RecordStatus.signed_in, RecordStatus.pending_confirmation)
                ),
            )
        )
    total = sum(line.confirmed_minutes for line in lines)
    return VolunteerReport(
        period=period,
        village_id=village_id,
        activities=lines,
        volunteers=len({r.person_id for r in rows if r.status == RecordStatus.confirmed}),
        confirmed_minutes=total,
        hours=round(total / 60, 1),
    )

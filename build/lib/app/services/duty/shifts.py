"""The village office's duty rota (坐班值班): shifts of one cadre each, a day or a week at once,
never two of one person at the same time; and who is on duty now, for villagers, with the
office's phone and never a cadre's own number."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, to_china, utcnow
from app.errors import Conflict, Unprocessable
from app.models.base import id_of
from app.models.duty import DutyShift, OnDuty, ShiftCreate
from app.models.roster import Person, Role, RoleGrant, ScopeType, Village
from app.services import audit, roster
from app.services.identity import (
    Principal,
    caller_person,
    home_towns,
    location_of,
    own_village,
)
from app.services.kit import Page, keyset_page
from app.services.roster import VillageNotFound, get_in_scope

MAX_SHIFT = timedelta(hours=24)
_ROLE_WORDS = {
    Role.village_admin: "村干部",
    Role.branch_admin: "党支部委员",
    Role.grid_worker: "网格员",
    Role.town_admin: "包村干部",
}


class ShiftTimesInvalid(Unprocessable):
    code = "duty.bad_times"
    detail = "值班的结束时间须晚于开始时间，且一班不超过 24 小时。"


class ShiftOverlap(Conflict):
    code = "duty.overlap"
    detail = "此人这段时间已有值班，不能重叠排班。"


class NotOfVillage(Unprocessable):
    code = "duty.person_not_in_village"
    detail = "只能安排本村的人员或包村的镇干部值班。"


def _moment(day: date, value: time | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=CHINA)
    return datetime.combine(day, value, tzinfo=CHINA)


async def create_shifts(
    session: AsyncSession, *, principal: Principal, data: ShiftCreate
) -> list[DutyShift]:
    """One shift, or the same shift on ``repeat_days`` days from ``date``: all or none."""
    village = await get_in_scope(
        session,
        principal=principal,
        model=Village,
        row_id=data.village_id or own_village(principal),
    )
    person = await session.get(Person, data.person_id)
    if person is None or (
        person.village_id != village.id
        and not await roster.is_liaison(session, id_of(person), id_of(village))
    ):
        raise NotOfVillage()
    if data.villager_group_id is not None:
        await roster.group_in(session, data.villager_group_id, id_of(village))
    starts, ends = _moment(data.date, data.starts_at), _moment(data.date, data.ends_at)
    if not timedelta(0) < ends - starts <= MAX_SHIFT:
        raise ShiftTimesInvalid()
    made = []
    for offset in range(data.repeat_days):
        begin, end = starts + timedelta(days=offset), ends + timedelta(days=offset)
        clash = (
            await session.exec(
                select(DutyShift.id).where(
                    col(DutyShift.person_id) == person.id,
                    col(DutyShift.starts_at) < end,
                    col(DutyShift.ends_at) > begin,
                )
            )
        ).first()
        if clash is not None:
            raise ShiftOverlap(f"{person.name} 在 {to_china(begin):%m月%d日} 已有重叠的值班。")
        shift = DutyShift(
            town_id=village.town_id,
            village_id=id_of(village),
            person_id=id_of(person),
            villager_group_id=data.villager_group_id,
            starts_at=begin,
            ends_at=end,
        )
        await audit.record_created(
            session,
            actor=principal,
            row=shift,
            target_type="duty_shift",
            where=location_of(village),
        )
        made.append(shift)
    return made


async def list_shifts(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None,
    date_from: date | None,
    limit: int,
    cursor: str | None,
) -> Page[DutyShift]:
    village = await get_in_scope(
        session, principal=principal, model=Village, row_id=village_id or own_village(principal)
    )
    stmt: Any = select(DutyShift).where(col(DutyShift.village_id) == village.id)
    if date_from is not None:
        stmt = stmt.where(
            col(DutyShift.starts_at) >= datetime.combine(date_from, time(0), tzinfo=CHINA)
        )
    return await keyset_page(
        session,
        stmt,
        order_by=[col(DutyShift.starts_at), col(DutyShift.id)],
        limit=limit,
        cursor=cursor,
    )


async def on_duty(session: AsyncSession, village_id: int, at: datetime) -> Sequence[DutyShift]:
    """The shifts of the village that cover ``at``, earliest first."""
    return (
        await session.exec(
            select(DutyShift)
            .where(
                col(DutyShift.village_id) == village_id,
                col(DutyShift.starts_at) <= at,
                col(DutyShift.ends_at) > at,
            )
            .order_by(col(DutyShift.starts_at), col(DutyShift.id))
        )
    ).all()


async def today(
    session: AsyncSession, *, principal: Principal, village_id: int | None
) -> list[OnDuty]:
    """Today's rota of a village (the caller's own by default): names, posts and the office
    phone. Public within the mini-program: it names no one's own phone."""
    if village_id is None:
        person = await caller_person(session, principal)
        village_id = person.village_id if person else None
    village = await session.get(Village, village_id) if village_id is not None else None
    towns = await home_towns(session, principal)
    if village is None or (towns is not None and village.town_id not in towns):
        raise VillageNotFound()
    day = to_china(utcnow()).date()
    start = datetime.combine(day, time(0), tzinfo=CHINA)
    shifts = (
        await session.exec(
            select(DutyShift, Person)
            .join(Person, col(Person.id) == col(DutyShift.person_id))
            .where(
                col(DutyShift.village_id) == village.id,
                col(DutyShift.starts_at) < start + timedelta(days=1),
                col(DutyShift.ends_at) > start,
            )
            .order_by(col(DutyShift.starts_at))
        )
    ).all()
    people = {p.id for _, p in shifts}
    posts: dict[int, str] = {}
    for grant in (
        await session.exec(
            select(RoleGrant).where(
                col(RoleGrant.person_id).in_(people), col(RoleGrant.revoked_at).is_(None)
            )
        )
    ).all():
        word = _ROLE_WORDS.get(Role(grant.role))
        if word and (grant.scope_type != ScopeType.village or grant.scope_id == village.id):
            posts.setdefault(grant.person_id, word)
    return [
        OnDuty(
            name=person.name,
            role=posts.get(id_of(person), "值班人员"),
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            office_phone=village.office_phone,
        )
        for shift, person in shifts
    ]

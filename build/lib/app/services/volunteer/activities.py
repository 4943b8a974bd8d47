"""Activities: the organiser creates them, shows their rotating codes, takes enrolments."""

from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.base import id_of
from app.models.roster import ADMIN_ROLES, Branch, ScopeType, Village
from app.models.volunteer import (
    ActivityCreate,
    ScanKind,
    VolunteerActivity,
    VolunteerEnrolment,
)
from app.services import audit
from app.services.identity import (
    Location,
    Principal,
    bound_person,
    covers,
    location_of,
    scope_clause,
)
from app.services.kit import Page, QrSettings, geo, keyset_page, qr_tokens
from app.services.points import scoring_rules
from app.services.roster import VillageNotFound
from app.services.volunteer.common import PURPOSES, ActivityNotFound
from app.services.volunteer.scans import Closed


class Full(Conflict):
    code = "volunteer.full"
    detail = "报名人数已满。"


class BranchNotFound(NotFound):
    code = "branch.not_found"
    detail = "找不到该党支部。"


class OutsideOwnScope(Forbidden):
    code = "volunteer.scope"
    detail = "只能在自己管理的范围内组织志愿活动。"


class PlaceMismatch(Unprocessable):
    code = "volunteer.place_mismatch"
    detail = "所填的镇与村（或党支部）不一致。"


class ScopeRequired(Unprocessable):
    code = "volunteer.scope_required"
    detail = "请指明组织活动的镇、村或党支部（town_id、village_id 或 branch_id）。"


def _own_scope(principal: Principal) -> tuple[int | None, int | None, int | None]:
    """The organiser's own town, village or branch, when the activity names none."""
    scopes = {
        (g.scope_type, g.scope_id)
        for g in principal.grants
        if g.role in ADMIN_ROLES and g.scope_type is not ScopeType.global_
    }
    if len(scopes) != 1:
        raise ScopeRequired()
    [(kind, scope_id)] = scopes
    return (
        scope_id if kind is ScopeType.town else None,
        scope_id if kind is ScopeType.village else None,
        scope_id if kind is ScopeType.branch else None,
    )


async def create_activity(
    session: AsyncSession, *, principal: Principal, data: ActivityCreate
) -> VolunteerActivity:
    town_id, village_id, branch_id = data.town_id, data.village_id, data.branch_id
    if town_id is None and village_id is None and branch_id is None:
        town_id, village_id, branch_id = _own_scope(principal)
    if branch_id is not None:
        branch = await session.get(Branch, branch_id)
        if branch is None:
            raise BranchNotFound()
        town_id, village_id = branch.town_id, branch.village_id
    elif village_id is not None:
        village = await session.get(Village, village_id)
        if village is None:
            raise VillageNotFound()
        town_id = village.town_id
    assert town_id is not None
    if data.town_id is not None and data.town_id != town_id:
        raise PlaceMismatch()  # a body naming two places is refused, not quietly read as one
    place = Location(town_id=town_id, village_id=village_id, branch_id=branch_id)
    if not covers(principal, place):
        raise OutsideOwnScope()
    if data.rule_code is not None:
        await scoring_rules.resolve(
            session, code=data.rule_code, town_id=town_id, village_id=village_id
        )
    venue = None
    if data.venue is not None:
        venue = geo.to_gcj02(data.venue.lat, data.venue.lng, data.venue.coord_type)
    activity = VolunteerActivity(
        town_id=town_id,
        village_id=village_id,
        branch_id=branch_id,
        title=data.title,
        category=data.category,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        venue_lat=venue[0] if venue else None,
        venue_lng=venue[1] if venue else None,
        venue_radius_m=data.venue.radius_m if data.venue else None,
        capacity=data.capacity,
        enrolment_required=data.enrolment_required,
        round_minutes=data.round_minutes,
        max_minutes=data.max_minutes,
        min_share=data.min_share,
        rule_code=data.rule_code,
        created_by_person_id=principal.person_id,
    )
    await audit.record_created(
        session, actor=principal, row=activity, target_type="volunteer_activity", where=place
    )
    return activity


async def organised(
    session: AsyncSession, *, principal: Principal, activity_id: int, lock: bool = False
) -> VolunteerActivity:
    """An activity the caller organises (admins of its town, village or branch)."""
    activity = await session.get(VolunteerActivity, activity_id, with_for_update=lock or None)
    if activity is None or not covers(principal, location_of(activity)):
        raise ActivityNotFound()
    return activity


async def list_activities(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[VolunteerActivity]:
    """The activities the caller organises, the latest first."""
    stmt = select(VolunteerActivity).where(scope_clause(principal, VolunteerActivity))
    return await keyset_page(
        session, stmt, order_by=[VolunteerActivity.id], limit=limit, cursor=cursor, descending=True
    )


def current_token(
    activity: VolunteerActivity, kind: ScanKind, *, qr: QrSettings
) -> tuple[str, datetime]:
    assert activity.id is not None
    return qr_tokens.issue(qr, PURPOSES[kind], activity.id, now=utcnow())


async def enrol(
    session: AsyncSession, *, principal: Principal, activity_id: int
) -> tuple[VolunteerEnrolment, bool]:
    """The enrolment and whether this call made it (a repeat answers the first)."""
    # Locked so that two volunteers taking the last place cannot both get it.
    activity = await session.get(VolunteerActivity, activity_id, with_for_update=True)
    if activity is None:
        raise ActivityNotFound()
    person = await bound_person(session, principal, to="参加志愿活动")
    if person.town_id != activity.town_id:
        raise ActivityNotFound()  # another town's activities are not this villager's to see
    existing = (
        await session.exec(
            select(VolunteerEnrolment).where(
                col(VolunteerEnrolment.activity_id) == activity_id,
                col(VolunteerEnrolment.person_id) == person.id,
            )
        )
    ).first()
    if existing is not None:
        return existing, False
    if utcnow() > activity.ends_at:
        raise Closed()
    if activity.capacity is not None:
        taken = (
            await session.exec(
                select(func.count())
                .select_from(VolunteerEnrolment)
                .where(col(VolunteerEnrolment.activity_id) == activity_id)
            )
        ).one()
        if taken >= activity.capacity:
            raise Full()
    enrolment = VolunteerEnrolment(activity_id=activity_id, person_id=id_of(person))
    session.add(enrolment)
    await session.flush()
    return enrolment, True

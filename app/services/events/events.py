"""Events of organisational life: creating them, who may see and run them, their QR codes."""

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import NotFound, Unprocessable
from app.models.events import EventCreate, PartyEvent
from app.models.points import Ledger
from app.models.roster import Branch
from app.services import audit
from app.services.identity import (
    Location,
    Principal,
    caller_person,
    covers,
    location_of,
    scope_clause,
)
from app.services.kit import Page, QrSettings, keyset_page, qr_tokens, to_gcj02
from app.services.points import scoring_rules
from app.services.roster import get_in_scope


class BranchInvalid(Unprocessable):
    code = "event.branch_invalid"
    detail = "受邀或承办的党支部须在本镇。"


class RuleUnsuitable(Unprocessable):
    code = "event.rule_unsuitable"
    detail = "签到积分规则须记入党员积分且不要求照片。"


CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
CHECKIN_CLOSES_AFTER = timedelta(minutes=30)


class EventNotFound(NotFound):
    code = "event.not_found"
    detail = "找不到该活动。"


def expected_branches(event: PartyEvent) -> set[int]:
    return {event.branch_id, *event.invited_branch_ids}


async def create_event(
    session: AsyncSession, *, principal: Principal, data: EventCreate
) -> PartyEvent:
    branch = await get_in_scope(session, principal=principal, model=Branch, row_id=data.branch_id)
    assert branch.id is not None
    for other_id in {
        *data.invited_branch_ids,
        *([data.host_branch_id] if data.host_branch_id else []),
    }:
        other = await session.get(Branch, other_id)
        if other is None or other.town_id != branch.town_id:
            raise BranchInvalid()
    if data.rule_code:
        rule = await scoring_rules.resolve(
            session, code=data.rule_code, town_id=branch.town_id, village_id=branch.village_id
        )
        if rule.ledger != Ledger.member or rule.requires_evidence:
            raise RuleUnsuitable()
    venue_lat = venue_lng = None
    if data.venue is not None:
        venue_lat, venue_lng = to_gcj02(data.venue.lat, data.venue.lng, data.venue.coord_type)
    agenda = data.agenda.model_dump() if data.agenda else {"fixed": None, "items": []}
    event = PartyEvent(
        town_id=branch.town_id,
        village_id=branch.village_id,
        branch_id=branch.id,
        host_branch_id=data.host_branch_id,
        kind=data.kind,
        title=data.title,
        theme=data.theme,
        agenda=agenda,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        checkin_opens_at=data.checkin_opens_at or data.starts_at - CHECKIN_OPENS_BEFORE,
        checkin_closes_at=data.checkin_closes_at or data.starts_at + CHECKIN_CLOSES_AFTER,
        late_after_minutes=data.late_after_minutes,
        venue_lat=venue_lat,
        venue_lng=venue_lng,
        venue_radius_m=data.venue.radius_m if data.venue else None,
        venue_name=data.venue.name if data.venue else None,
        rule_code=data.rule_code,
        invited_branch_ids=sorted(set(data.invited_branch_ids) - {branch.id}),
        created_by_person_id=principal.person_id,
    )
    await audit.record_created(
        session, actor=principal, row=event, target_type="event", where=location_of(event)
    )
    return event


async def event_in_scope(
    session: AsyncSession, *, principal: Principal, event_id: int
) -> PartyEvent:
    event = await session.get(PartyEvent, event_id)
    if event is None or not covers(principal, location_of(event)):
        raise EventNotFound()
    return event


async def event_for_host(
    session: AsyncSession, *, principal: Principal, event_id: int
) -> PartyEvent:
    """The event's own admins, or the admins of the branch hosting it this time."""
    event = await session.get(PartyEvent, event_id)
    if event is None:
        raise EventNotFound()
    host = event.host_branch_id
    if covers(principal, location_of(event)) or (
        host is not None and covers(principal, Location(town_id=event.town_id, branch_id=host))
    ):
        return event
    raise EventNotFound()


async def list_events(
    session: AsyncSession,
    *,
    principal: Principal,
    limit: int,
    cursor: str | None,
    branch_id: int | None,
) -> Page[PartyEvent]:
    stmt: Any = select(PartyEvent).where(scope_clause(principal, PartyEvent))
    if branch_id is not None:
        stmt = stmt.where(col(PartyEvent.branch_id) == branch_id)
    return await keyset_page(
        session, stmt, order_by=[PartyEvent.id], limit=limit, cursor=cursor, descending=True
    )


async def events_between(
    session: AsyncSession,
    *,
    principal: Principal,
    start: datetime,
    end: datetime,
    branch_id: int | None = None,
) -> list[PartyEvent]:
    """The caller's events starting in [start, end), in time order: a month's calendar."""
    stmt: Any = select(PartyEvent).where(
        scope_clause(principal, PartyEvent),
        col(PartyEvent.starts_at) >= start,
        col(PartyEvent.starts_at) < end,
    )
    if branch_id is not None:
        stmt = stmt.where(col(PartyEvent.branch_id) == branch_id)
    return list((await session.exec(stmt.order_by(col(PartyEvent.starts_at)).limit(500))).all())


async def my_events(session: AsyncSession, *, principal: Principal) -> list[PartyEvent]:
    """Events I am expected at: my branch's, and those my branch is invited to; recent and next."""
    person = await caller_person(session, principal)
    if person is None or person.branch_id is None or not person.is_party_member:
        return []
    now = utcnow()
    candidates = (
        await session.exec(
            select(PartyEvent)
            .where(
                col(PartyEvent.town_id) == person.town_id,
                col(PartyEvent.starts_at) >= now - timedelta(days=31),
                col(PartyEvent.starts_at) <= now + timedelta(days=62),
            )
            .order_by(col(PartyEvent.starts_at))
        )
    ).all()
    return [e for e in candidates if person.branch_id in expected_branches(e)]


def current_token(
    event: PartyEvent, *, qr: QrSettings, now: datetime | None = None
) -> tuple[str, datetime]:
    assert event.id is not None
    return qr_tokens.issue(qr, qr_tokens.Purpose.event, event.id, now=now or utcnow())


def poster_token(event: PartyEvent, *, qr: QrSettings) -> str:
    """The fixed code for printed posters: at most 32 characters, as a mini-program scene."""
    assert event.id is not None
    token = qr_tokens.poster(qr, qr_tokens.Purpose.event, event.id)
    assert len(token) <= 32
    return token

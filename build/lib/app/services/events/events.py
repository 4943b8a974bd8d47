"""Events of organisational life: creating them, who may see and run them, their QR codes."""

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.events import EventCreate, EventKind, EventStatus, PartyEvent
from app.models.party_life import PartyGroup, PartyGroupMember
from app.models.points import Ledger
from app.models.roster import Branch, Person
from app.services import audit
from app.services.identity import (
    Principal,
    caller_person,
    covers,
    location_of,
    scope_clause,
)
from app.services.kit import Page, QrSettings, keyset_page, qr_tokens, to_gcj02
from app.services.members import mobile as member_mobile
from app.services.points import scoring_rules
from app.services.roster import get_in_scope


class BranchInvalid(Unprocessable):
    code = "event.branch_invalid"
    detail = "受邀或承办的党支部须在本镇。"


class RuleUnsuitable(Unprocessable):
    code = "event.rule_unsuitable"
    detail = "签到积分规则须记入党员积分且不要求照片。"


class GroupRequired(Unprocessable):
    code = "event.group_required"
    detail = "党小组会须指定党小组（party_group_id）。"


class GroupInvalid(Unprocessable):
    code = "event.group_invalid"
    detail = "所指定的党小组不属于承办的党支部。"


class InviteeInvalid(Unprocessable):
    code = "event.invitee_invalid"
    detail = "按人邀请的人员须在本镇的花名册中。"


class RecorderInvalid(Unprocessable):
    code = "event.recorder_invalid"
    detail = "会议记录人须是本支部的党员。"


CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
CHECKIN_CLOSES_AFTER = timedelta(minutes=30)


class EventNotFound(NotFound):
    code = "event.not_found"
    detail = "找不到该活动。"


def expected_branches(event: PartyEvent) -> set[int]:
    """The branches whose members the event expects (a 党小组会: only its group, see
    ``attendance.expected``)."""
    return {event.branch_id, *event.invited_branch_ids}


async def check_people(
    session: AsyncSession,
    *,
    branch: Branch,
    invitee_ids: list[int],
    recorder_id: int | None,
) -> None:
    """People named on an event are someone else's ids until shown to be of its town."""
    if invitee_ids:
        found = await session.exec(
            select(Person.id).where(
                col(Person.id).in_(invitee_ids), col(Person.town_id) == branch.town_id
            )
        )
        if set(found.all()) != set(invitee_ids):
            raise InviteeInvalid()
    if recorder_id is not None:
        recorder = await session.get(Person, recorder_id)
        if recorder is None or recorder.branch_id != branch.id or not recorder.is_party_member:
            raise RecorderInvalid()


async def _check_group(
    session: AsyncSession, kind: EventKind, group_id: int | None, branch: Branch
) -> None:
    if group_id is None:
        if kind == EventKind.group_meeting:
            raise GroupRequired()
        return
    group = await session.get(PartyGroup, group_id)
    if group is None or group.branch_id != branch.id:
        raise GroupInvalid()


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
    await _check_group(session, data.kind, data.party_group_id, branch)
    host = data.host_branch_id
    if host is None and data.kind == EventKind.party_day:
        # The mobile members' Party day goes to the branch whose month it is on the town's rota.
        month = to_china(data.starts_at).strftime("%Y-%m")
        host = await member_mobile.host_of(session, id_of(branch), month)
    await check_people(
        session, branch=branch, invitee_ids=data.invitee_ids, recorder_id=data.recorder_id
    )
    venue_lat = venue_lng = None
    if data.venue is not None:
        venue_lat, venue_lng = to_gcj02(data.venue.lat, data.venue.lng, data.venue.coord_type)
    agenda = data.agenda.model_dump() if data.agenda else {"fixed": None, "items": []}
    event = PartyEvent(
        town_id=branch.town_id,
        village_id=branch.village_id,
        branch_id=branch.id,
        host_branch_id=host,
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
        invitee_ids=sorted(set(data.invitee_ids)),
        party_group_id=data.party_group_id,
        recorder_id=data.recorder_id,
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
    if covers(principal, location_of(event)):
        return event
    host = await session.get(Branch, event.host_branch_id) if event.host_branch_id else None
    # The host branch as its village's admins see it too, not only its branch admins.
    if host is not None and covers(principal, location_of(host)):
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


def expects(
    event: PartyEvent,
    *,
    person_id: int,
    branch_id: int | None,
    is_party_member: bool,
    group_id: int | None,
) -> bool:
    """Whether the event expects this person: invited by name, or a member of a branch it
    expects (of its group, for a 党小组会)."""
    if person_id in event.invitee_ids:
        return True
    if not is_party_member or branch_id is None:
        return False
    if event.party_group_id is not None:
        return group_id == event.party_group_id
    return branch_id in expected_branches(event)


async def group_of(session: AsyncSession, person_id: int) -> int | None:
    found = await session.exec(
        select(PartyGroupMember.group_id).where(col(PartyGroupMember.person_id) == person_id)
    )
    return found.first()


async def my_events(session: AsyncSession, *, principal: Principal) -> list[PartyEvent]:
    """Events I am expected at: my branch's (my group's), those my branch is invited to and
    those naming me; recent and next, cancelled ones included so the phone can say so."""
    person = await caller_person(session, principal)
    if person is None:
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
    group_id = await group_of(session, id_of(person))
    return [
        e
        for e in candidates
        if expects(
            e,
            person_id=id_of(person),
            branch_id=person.branch_id,
            is_party_member=person.is_party_member,
            group_id=group_id,
        )
    ]


class Cancelled(Conflict):
    code = "event.cancelled"
    detail = "该活动已取消。"


def not_cancelled(event: PartyEvent) -> PartyEvent:
    if event.status == EventStatus.cancelled:
        raise Cancelled(f"该活动已取消：{event.cancel_reason or ''}".rstrip("："))
    return event


def current_token(
    event: PartyEvent, *, qr: QrSettings, now: datetime | None = None
) -> tuple[str, datetime]:
    assert event.id is not None
    not_cancelled(event)  # a cancelled event's screen shows no code
    return qr_tokens.issue(qr, qr_tokens.Purpose.event, event.id, now=now or utcnow())


def poster_token(event: PartyEvent, *, qr: QrSettings) -> str:
    """The fixed code for printed posters: at most 32 characters, as a mini-program scene."""
    assert event.id is not None
    not_cancelled(event)
    token = qr_tokens.poster(qr, qr_tokens.Purpose.event, event.id)
    assert len(token) <= 32
    return token

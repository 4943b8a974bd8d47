"""Villagers' service requests (代办, 群众诉求): filed with photos, taken by the cadre on duty at
that moment (else the village admins), moved by one state machine, rated once by the requester
after it is done. The requester hears of every change."""

from datetime import timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.duty import (
    DutyShift,
    RatingCreate,
    ServiceAction,
    ServiceRequest,
    ServiceRequestCreate,
    ServiceStatus,
    ServiceStep,
    ServiceTransition,
)
from app.models.notifications import NotificationKind
from app.models.roster import Town, Village
from app.services import audit, media, roster
from app.services.duty.shifts import on_duty
from app.services.identity import (
    Location,
    Principal,
    acts_for,
    bound_person,
    covers,
    location_of,
    scope_clause,
)
from app.services.kit import Page, keyset_page
from app.services.notifications import notify

MOVES: dict[ServiceAction, tuple[frozenset[ServiceStatus], ServiceStatus | None]] = {
    ServiceAction.accept: (frozenset({ServiceStatus.submitted}), ServiceStatus.accepted),
    ServiceAction.done: (frozenset({ServiceStatus.accepted}), ServiceStatus.done),
    ServiceAction.decline: (
        frozenset({ServiceStatus.submitted, ServiceStatus.accepted}),
        ServiceStatus.declined,
    ),
    # Handing it to someone else keeps where it stands.
    ServiceAction.reassign: (frozenset({ServiceStatus.submitted, ServiceStatus.accepted}), None),
}
OPEN = (ServiceStatus.submitted, ServiceStatus.accepted)
_ACTIONS = {
    ServiceAction.accept: "受理",
    ServiceAction.done: "办结",
    ServiceAction.decline: "不予办理",
    ServiceAction.reassign: "转交",
}
_WORDS = {
    ServiceStatus.submitted: "已提交",
    ServiceStatus.accepted: "已受理",
    ServiceStatus.done: "已办结",
    ServiceStatus.declined: "不予办理",
}


class RequestNotFound(NotFound):
    code = "service_request.not_found"
    detail = "找不到该诉求。"


class InvalidTransition(Conflict):
    code = "service_request.invalid_transition"
    detail = "当前状态下不能这样处理。"


class NotDone(Conflict):
    code = "service_request.not_done"
    detail = "办结之后才能评价。"


class AlreadyRated(Conflict):
    code = "service_request.already_rated"
    detail = "已经评价过了，每件诉求只能评价一次。"


class NoVillage(Unprocessable):
    code = "service_request.no_village"
    detail = "您还没有登记在哪个村，请联系村委会。"


class HandlerInvalid(Unprocessable):
    code = "service_request.handler_invalid"
    detail = "只能转交给本村的村干部或值班人员。"


def _step(
    session: AsyncSession,
    request: ServiceRequest,
    action: str,
    before: ServiceStatus | None,
    actor: int | None,
    note: str | None,
) -> None:
    session.add(
        ServiceStep(
            request_id=id_of(request),
            action=action,
            from_status=before,
            to_status=request.status,
            actor_person_id=actor,
            handler_person_id=request.handler_person_id,
            note=note,
        )
    )


async def file_request(
    session: AsyncSession, *, principal: Principal, data: ServiceRequestCreate
) -> ServiceRequest:
    person = await bound_person(session, principal, to="提交诉求")
    if person.village_id is None or person.town_id is None:
        raise NoVillage()
    await media.require_own(session, principal=principal, media_ids=data.media_ids)
    now = utcnow()
    town = await session.get(Town, person.town_id)
    shifts = await on_duty(session, person.village_id, now)
    request = ServiceRequest(
        town_id=person.town_id,
        village_id=person.village_id,
        requester_person_id=id_of(person),
        kind=data.kind,
        title=data.title,
        description=data.description,
        media_ids=list(data.media_ids),
        status=ServiceStatus.submitted,
        handler_person_id=shifts[0].person_id if shifts else None,
        due_at=now + timedelta(hours=town.service_due_hours if town else 48),
        created_at=now,
    )
    session.add(request)
    await session.flush()
    _step(session, request, "submit", None, id_of(person), None)
    await session.flush()
    return request


def _may_act(principal: Principal, request: ServiceRequest) -> bool:
    where = Location(town_id=request.town_id, village_id=request.village_id)
    return covers(principal, where) or (
        principal.person_id is not None and principal.person_id == request.handler_person_id
    )


async def _serves_village(session: AsyncSession, person_id: int, village: Village) -> bool:
    """A cadre who may take the village's requests: an admin over it (live grants only), or on
    its rota."""
    if await acts_for(session, person_id, location_of(village)):
        return True
    if await roster.is_liaison(session, person_id, id_of(village)):
        return True
    shift = (
        await session.exec(
            select(DutyShift.id).where(
                col(DutyShift.person_id) == person_id, col(DutyShift.village_id) == village.id
            )
        )
    ).first()
    return shift is not None


async def transition(
    session: AsyncSession, *, principal: Principal, request_id: int, data: ServiceTransition
) -> ServiceRequest:
    request = await session.get(ServiceRequest, request_id, with_for_update=True)
    if request is None or not _may_act(principal, request):
        raise RequestNotFound()
    allowed, target = MOVES[data.action]
    before = ServiceStatus(request.status)
    if before not in allowed:
        raise InvalidTransition(f"“{_WORDS[before]}”的诉求不能{_ACTIONS[data.action]}。")
    if data.action is ServiceAction.reassign:
        village = await session.get(Village, request.village_id)
        assert data.person_id is not None and village is not None
        if not await _serves_village(session, data.person_id, village):
            raise HandlerInvalid()
        request.handler_person_id = data.person_id
    else:
        assert target is not None
        request.status = target
        if target is ServiceStatus.done:
            request.done_at = utcnow()
        if target is ServiceStatus.accepted and request.handler_person_id is None:
            request.handler_person_id = principal.person_id
    session.add(request)
    _step(session, request, data.action.value, before, principal.person_id, data.note)
    await audit.record(
        session,
        actor=principal,
        action=f"service_request.{data.action.value}",
        target_type="service_request",
        target_id=id_of(request),
        where=Location(town_id=request.town_id, village_id=request.village_id),
        after={"status": request.status, "handler": request.handler_person_id, "note": data.note},
    )
    if data.action is not ServiceAction.reassign:
        word = _WORDS[ServiceStatus(request.status)]
        await notify(
            session,
            people=[request.requester_person_id],
            kind=NotificationKind.service_request_updated,
            target=("service_request", id_of(request)),
            occasion=request.status,
            title=f"诉求{word}",
            body=f"“{request.title}”{word}" + (f"：{data.note}" if data.note else "。"),
            values={"name": request.title, "status": word, "time": utcnow(), "note": data.note},
        )
    await session.flush()
    return request


async def rate(
    session: AsyncSession, *, principal: Principal, request_id: int, data: RatingCreate
) -> ServiceRequest:
    person = await bound_person(session, principal, to="评价")
    request = await session.get(ServiceRequest, request_id, with_for_update=True)
    if request is None or request.requester_person_id != person.id:
        raise RequestNotFound()
    if request.status != ServiceStatus.done:
        raise NotDone()
    if request.rating is not None:
        raise AlreadyRated()
    request.rating, request.rating_comment, request.rated_at = data.stars, data.comment, utcnow()
    session.add(request)
    await session.flush()
    return request


async def get_request(
    session: AsyncSession, *, principal: Principal, request_id: int
) -> ServiceRequest:
    """The requester, its handler and the admins over its village may read it."""
    request = await session.get(ServiceRequest, request_id)
    mine = request is not None and request.requester_person_id == principal.person_id
    if request is None or not (mine or _may_act(principal, request)):
        raise RequestNotFound()
    return request


async def mine(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[ServiceRequest]:
    person = await bound_person(session, principal, to="查看诉求")
    stmt = select(ServiceRequest).where(col(ServiceRequest.requester_person_id) == person.id)
    return await keyset_page(
        session,
        stmt,
        order_by=[col(ServiceRequest.id)],
        limit=limit,
        cursor=cursor,
        descending=True,
    )


def desk_query(*, principal: Principal, status: str | None) -> Any:
    """What waits at the caller's desk: their village's requests (admins) and those handed to
    them; ``open`` for the ones not yet settled (the dashboard counts exactly these)."""
    terms = [scope_clause(principal, ServiceRequest)]
    if principal.person_id is not None:
        terms.append(col(ServiceRequest.handler_person_id) == principal.person_id)
    stmt: Any = select(ServiceRequest).where(or_(*terms))
    if status == "open":
        stmt = stmt.where(col(ServiceRequest.status).in_(OPEN))
    elif status is not None:
        stmt = stmt.where(col(ServiceRequest.status) == status)
    return stmt


async def desk(
    session: AsyncSession,
    *,
    principal: Principal,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ServiceRequest]:
    return await keyset_page(
        session,
        desk_query(principal=principal, status=status),
        order_by=[col(ServiceRequest.id)],
        limit=limit,
        cursor=cursor,
    )

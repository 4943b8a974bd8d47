"""Leave requests (请假): asked before the event starts, decided by the branch admin; approved
leave counts as excused, not absent."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import BadRequest, Conflict, NotFound
from app.models.base import id_of
from app.models.events import LeaveCreate, LeaveDecision, LeaveRequest, LeaveStatus, PartyEvent
from app.models.notifications import NotificationKind
from app.services import audit
from app.services.events import events
from app.services.events.checkins import NotInvited
from app.services.identity import Location, Principal, caller_person, covers, location_of
from app.services.notifications import notify


class AlreadyDecided(Conflict):
    code = "leave.already_decided"
    detail = "该请假申请已经处理过。"


class LeaveNotFound(NotFound):
    code = "leave.not_found"
    detail = "找不到该请假申请。"


class TooLate(BadRequest):
    code = "leave.too_late"
    detail = "活动已经开始，不能再请假。"


async def request_leave(
    session: AsyncSession, *, principal: Principal, event_id: int, data: LeaveCreate
) -> tuple[LeaveRequest, bool]:
    event = await session.get(PartyEvent, event_id)
    if event is None:
        raise events.EventNotFound()
    person = await caller_person(session, principal)
    if person is None or not events.expects(
        event,
        person_id=id_of(person),
        branch_id=person.branch_id,
        is_party_member=person.is_party_member,
        group_id=await events.group_of(session, id_of(person)) if event.party_group_id else None,
    ):
        raise NotInvited()
    existing = (
        await session.exec(
            select(LeaveRequest).where(
                col(LeaveRequest.event_id) == event_id, col(LeaveRequest.person_id) == person.id
            )
        )
    ).first()
    if existing is not None:
        return existing, False
    events.not_cancelled(event)
    if utcnow() >= event.starts_at:
        raise TooLate()
    assert person.id is not None
    leave = LeaveRequest(
        event_id=event_id,
        person_id=person.id,
        town_id=event.town_id,
        village_id=person.village_id,
        # Someone invited by name from outside the branches asks the event's own branch.
        branch_id=person.branch_id
        if person.is_party_member and person.branch_id
        else event.branch_id,
        reason=data.reason,
    )
    session.add(leave)
    await session.flush()
    return leave, True


async def decide(
    session: AsyncSession, *, principal: Principal, leave_id: int, data: LeaveDecision
) -> LeaveRequest:
    leave = await session.get(LeaveRequest, leave_id, with_for_update=True)
    event = await session.get(PartyEvent, leave.event_id) if leave else None
    allowed = (
        leave is not None
        and event is not None
        and (
            covers(principal, location_of(event))
            or covers(principal, Location(town_id=leave.town_id, branch_id=leave.branch_id))
        )
    )
    if leave is None or event is None or not allowed:
        raise LeaveNotFound()
    if leave.status != LeaveStatus.pending:
        raise AlreadyDecided()
    async with audit.change(
        session,
        actor=principal,
        row=leave,
        action=lambda changed: f"leave.{changed.status}",
        target_type="leave_request",
        where=location_of(leave),
    ):
        leave.status = LeaveStatus.approved if data.decision == "approve" else LeaveStatus.rejected
        leave.decision_note = data.note
        leave.decided_by_person_id = principal.person_id
        leave.decided_at = utcnow()
    verdict = "已准假" if leave.status == LeaveStatus.approved else "未准假"
    await notify(
        session,
        people=[leave.person_id],
        kind=NotificationKind.leave_decided,
        target=("event", leave.event_id),
        title="请假审批结果",
        body=f"“{event.title}”的请假{verdict}" + (f"：{data.note}" if data.note else "。"),
        values={"name": event.title, "status": verdict, "time": event.starts_at, "note": data.note},
    )
    return leave

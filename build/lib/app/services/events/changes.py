"""Changing an event before it starts, and cancelling it: the history in the audit log, the
people it expects told again, its code stopped and any check-in's points taken back."""

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import Conflict, Unprocessable
from app.models.base import id_of
from app.models.events import (
    Attendance,
    AttendanceStatus,
    EventStatus,
    EventUpdate,
    PartyEvent,
)
from app.models.notifications import NotificationKind
from app.models.roster import Branch
from app.services import audit
from app.services.events import attendance, checkins, events
from app.services.identity import Principal, covers, location_of
from app.services.kit import to_gcj02
from app.services.notifications import notify

# What the people expected are told about when it changes (a new recorder is nobody's news).
_TOLD = ("title", "starts_at", "ends_at", "venue_lat", "venue_lng", "venue_name", "agenda")


class Started(Conflict):
    code = "event.started"
    detail = "活动已经开始，不能再修改或取消。"


class BadTimes(Unprocessable):
    code = "event.bad_times"
    detail = "开始时间须晚于现在，结束时间须晚于开始时间。"


async def _locked(session: AsyncSession, principal: Principal, event_id: int) -> PartyEvent:
    event = await session.get(PartyEvent, event_id, with_for_update=True)
    if event is None or not covers(principal, location_of(event)):
        raise events.EventNotFound()
    return event


def _before_start(event: PartyEvent, now: datetime) -> None:
    events.not_cancelled(event)
    if now >= event.starts_at:
        raise Started()


async def _tell(session: AsyncSession, event: PartyEvent, kind: NotificationKind) -> int:
    people = [row.person_id for row in await attendance.expected(session, event)]
    start = to_china(event.starts_at)
    place = f"，地点：{event.venue_name}" if event.venue_name else ""
    if kind == NotificationKind.event_cancelled:
        title, occasion = "活动取消", "cancel"
        body = f"原定{start:%m月%d日 %H:%M}的“{event.title}”已取消：{event.cancel_reason}"
        note = f"已取消：{event.cancel_reason}"
    else:
        title, occasion = "活动变更", f"revision-{event.revision}"
        body = f"“{event.title}”改为{start:%m月%d日 %H:%M} 开始{place}。"
        note = "时间或地点有变，请留意"
    return await notify(
        session,
        people=people,
        kind=kind,
        target=("event", id_of(event)),
        occasion=occasion,
        title=title,
        body=body,
        values={
            "name": event.title,
            "time": event.starts_at,
            "place": event.venue_name or "见通知",
            "note": note,
        },
    )


async def update_event(
    session: AsyncSession, *, principal: Principal, event_id: int, data: EventUpdate
) -> PartyEvent:
    """Time, venue, agenda and title until the event starts; the check-in window keeps its
    distance from the start."""
    event = await _locked(session, principal, event_id)
    now = utcnow()
    _before_start(event, now)
    asked = data.model_dump(exclude_unset=True)
    starts = data.starts_at or event.starts_at
    ends = data.ends_at or event.ends_at
    if ends <= starts or ("starts_at" in asked and starts <= now):
        raise BadTimes()
    if data.recorder_id is not None or data.invitee_ids is not None:
        branch = await session.get(Branch, event.branch_id)
        assert branch is not None
        await events.check_people(
            session,
            branch=branch,
            invitee_ids=data.invitee_ids or [],
            recorder_id=data.recorder_id,
        )
    changes: dict[str, Any] = {}
    if data.title is not None:
        changes["title"] = data.title
    if "theme" in asked:
        changes["theme"] = data.theme
    if data.agenda is not None:
        changes["agenda"] = data.agenda.model_dump()
    if starts != event.starts_at:
        shift = starts - event.starts_at
        changes |= {
            "starts_at": starts,
            "checkin_opens_at": event.checkin_opens_at + shift,
            "checkin_closes_at": event.checkin_closes_at + shift,
        }
    if ends != event.ends_at:
        changes["ends_at"] = ends
    if data.venue is not None:
        lat, lng = to_gcj02(data.venue.lat, data.venue.lng, data.venue.coord_type)
        changes |= {
            "venue_lat": lat,
            "venue_lng": lng,
            "venue_radius_m": data.venue.radius_m,
            "venue_name": data.venue.name,
        }
    if data.recorder_id is not None:
        changes["recorder_id"] = data.recorder_id
    if data.invitee_ids is not None:
        changes["invitee_ids"] = sorted(set(data.invitee_ids))
    changed = {k: v for k, v in changes.items() if getattr(event, k) != v}
    if not changed:
        return event
    told = any(k in _TOLD for k in changed)
    async with audit.change(
        session,
        actor=principal,
        row=event,
        action="event.update",
        target_type="event",
        where=location_of(event),
    ):
        for key, value in changed.items():
            setattr(event, key, value)
        if told:
            event.revision += 1
    checkins.forget_event(session, id_of(event))
    if told:
        await _tell(session, event, NotificationKind.event_changed)
    return event


async def cancel_event(
    session: AsyncSession, *, principal: Principal, event_id: int, reason: str
) -> PartyEvent:
    """Cancelled before it starts, with a reason; a second cancel answers the first."""
    event = await _locked(session, principal, event_id)
    if event.status == EventStatus.cancelled:
        return event
    now = utcnow()
    _before_start(event, now)
    async with audit.change(
        session,
        actor=principal,
        row=event,
        action="event.cancel",
        target_type="event",
        where=location_of(event),
    ):
        event.status = EventStatus.cancelled
        event.cancel_reason = reason
        event.cancelled_at = now
    # The check-in window opens before the start: an early scan's points go back.
    early = await session.exec(
        select(Attendance)
        .where(
            col(Attendance.event_id) == event.id,
            col(Attendance.status).in_([AttendanceStatus.present, AttendanceStatus.late]),
        )
        .with_for_update()
    )
    for scan in early.all():
        async with audit.change(
            session,
            actor=principal,
            row=scan,
            action="checkin.revoke",
            target_type="attendance",
            where=location_of(event),
        ):
            await checkins.take_back(
                session, attendance=scan, principal=principal, reason=f"活动取消：{reason}"
            )
    checkins.forget_event(session, id_of(event))
    await _tell(session, event, NotificationKind.event_cancelled)
    return event

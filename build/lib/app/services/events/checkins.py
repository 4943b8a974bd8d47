"""Check-in at an event: the rotating code, the window, the venue, the invitation; then the
attendance record and, by the event's rule, member points through the ledger (once)."""

from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import row_cache
from app.errors import BadRequest, Conflict, Forbidden, NotFound
from app.models.base import id_of
from app.models.events import (
    Attendance,
    AttendanceStatus,
    CheckinCreate,
    EventStatus,
    PartyEvent,
)
from app.models.points import EntryStatus
from app.request_context import current_request_id
from app.services import audit
from app.services.events import events, scans
from app.services.events.scans import Member
from app.services.identity import Principal, bound_person, location_of
from app.services.kit import QrSettings, outside_venue, qr_tokens
from app.services.members import mobile as member_mobile
from app.services.points import ledger


class CheckinError(BadRequest):
    """A scan refused before the check-in writer: each reason has its own code."""


class Closed(CheckinError):
    code = "checkin.closed"
    detail = "不在签到时间内。"


class LocationRequired(CheckinError):
    code = "checkin.location_required"
    detail = "请允许小程序获取位置后再签到。"


class OutOfRange(CheckinError):
    code = "checkin.out_of_range"
    detail = "您离活动场地约 … 米，请到场后再签到。"


class QrExpired(CheckinError):
    code = "checkin.qr_expired"
    detail = "二维码已过期，请重新扫描大屏上的二维码。"


class QrInvalid(CheckinError):
    code = "checkin.qr_invalid"
    detail = "二维码无效，请扫描本次活动现场的二维码。"


class NotInvited(Forbidden):
    code = "checkin.not_invited"
    detail = "您不在本次活动的参加名单中。"


class NotPending(Conflict):
    code = "checkin.not_pending"
    detail = "该签到不在待审核状态。"


class NotRevocable(Conflict):
    code = "checkin.not_revocable"
    detail = "只有已签到的记录可以撤销。"


# A phone claiming worse accuracy than this is not trusted to be at the venue.


class EventCancelled(Conflict):
    code = "checkin.event_cancelled"
    detail = "该活动已取消，无需签到。"


class CheckinNotFound(NotFound):
    code = "checkin.not_found"
    detail = "找不到该签到记录。"


# Seconds, not a minute: an event may be changed or cancelled until it starts, and another
# worker's copy must not let a scan into a cancelled event for long. This process forgets its
# copy at the change; a burst still reads the row once per worker every few seconds.
_EVENTS: row_cache.RowCache[PartyEvent] = row_cache.RowCache(seconds=5)


def forget_event(session: AsyncSession, event_id: int) -> None:
    _EVENTS.forget(session, event_id)


async def _event(session: AsyncSession, event_id: int) -> PartyEvent:
    """The event, read once every few seconds at a burst; a missing one is not cached."""

    async def load() -> PartyEvent:
        found = await session.get(PartyEvent, event_id)
        if found is None:
            raise events.EventNotFound()
        session.expunge(found)  # shared with later requests: it must not stay in this one
        return found

    return await _EVENTS.get(session, event_id, load)


def _check_location(event: PartyEvent, data: CheckinCreate, *, poster: bool) -> float | None:
    if event.venue_lat is None or event.venue_lng is None or event.venue_radius_m is None:
        if poster:
            raise LocationRequired("海报上的二维码需要场地位置，请扫描现场大屏上的二维码。")
        return None
    if data.lat is None or data.lng is None:
        raise LocationRequired()
    distance, outside = outside_venue(
        venue=(event.venue_lat, event.venue_lng),
        radius_m=event.venue_radius_m,
        lat=data.lat,
        lng=data.lng,
        coord_type=data.coord_type,
        accuracy=data.accuracy,
    )
    if outside:
        raise OutOfRange(f"您离活动场地约 {round(distance)} 米，请到场后再签到。")
    return round(distance, 1)


def _status(event: PartyEvent, scanned_at: datetime) -> AttendanceStatus:
    late_from = event.starts_at + timedelta(minutes=event.late_after_minutes)
    return AttendanceStatus.late if scanned_at > late_from else AttendanceStatus.present


async def _member(session: AsyncSession, principal: Principal) -> Member:
    """From the principal's home when it carries one (no query), else from the roster."""
    home = principal.home
    if principal.person_id is not None and home is not None:
        return Member(
            principal.person_id,
            home.town_id,
            home.village_id,
            home.branch_id,
            home.is_party_member,
        )
    person = await bound_person(session, principal, to="签到")
    return Member(
        id_of(person), person.town_id, person.village_id, person.branch_id, person.is_party_member
    )


def _admit(
    event: PartyEvent,
    person: Member,
    data: CheckinCreate,
    qr: QrSettings,
    now: datetime,
    group_id: int | None = None,
    registered: bool = False,
) -> dict[str, Any]:
    """The checks before the check-in writer, in the order a member would want to hear them;
    the attendance to keep, as its columns."""
    if event.status == EventStatus.cancelled:
        raise EventCancelled()
    checked = qr_tokens.check(qr, data.token, qr_tokens.Purpose.event, id_of(event), now=now)
    if checked is None:
        raise QrInvalid()
    scanned_at = now
    offline = False
    if checked.freshness is qr_tokens.Freshness.stale:
        inside = (
            checked.window_start is not None
            and event.checkin_opens_at <= checked.window_start <= event.checkin_closes_at
        )
        if not (data.queued_offline and inside):
            raise QrExpired()
        assert checked.window_start is not None
        scanned_at, offline = checked.window_start, True
    elif not event.checkin_opens_at <= now <= event.checkin_closes_at:
        raise Closed()
    distance = _check_location(event, data, poster=checked.freshness is qr_tokens.Freshness.poster)
    if not registered and not events.expects(
        event,
        person_id=person.id,
        branch_id=person.branch_id,
        is_party_member=person.is_party_member,
        group_id=group_id,
    ):
        raise NotInvited()
    return {
        "event_id": id_of(event),
        "person_id": person.id,
        "town_id": event.town_id,
        "branch_id": person.branch_id,
        "status": AttendanceStatus.pending_review if offline else _status(event, scanned_at),
        "scanned_at": scanned_at,
        "lat": data.lat,
        "lng": data.lng,
        "accuracy_m": data.accuracy,
        "distance_m": distance,
        "queued_offline": offline,
        "created_at": now,
    }


async def check_in(
    writer: scans.CheckinWriter,
    *,
    principal: Principal,
    event_id: int,
    data: CheckinCreate,
    qr: QrSettings,
) -> tuple[Attendance, bool]:
    """Returns the attendance and whether this call made it (a repeat returns the first).

    The hot path of a Party day: the event and its rule come from a minute's cache, the repeat
    check is the INSERT itself (``ON CONFLICT DO NOTHING``), and the points go through the
    ledger's Core path. The checks read in a short session, closed before the scan is handed
    to the check-in writer, which writes it with the scans arriving beside it (group commit)
    and has committed it when this returns: no connection, and on SQLite no lock, is held while a
    scan waits for its group."""
    async with writer.sessionmaker() as reading:
        let_in = await _let_in(reading, principal, event_id, data, qr)
    return await writer.submit(let_in) if isinstance(let_in, scans.Scan) else let_in


async def _let_in(
    session: AsyncSession, principal: Principal, event_id: int, data: CheckinCreate, qr: QrSettings
) -> scans.Scan | tuple[Attendance, bool]:
    """The scan to write, or the member's first record when this one is a repeat."""
    event = await _event(session, event_id)
    person = await _member(session, principal)
    group_id = await events.group_of(session, person.id) if event.party_group_id else None
    now = utcnow()
    try:
        try:
            record = _admit(event, person, data, qr, now, group_id)
        except NotInvited:
            # Someone else's member living here, on this branch's inflow register, attends here.
            branches = events.expected_branches(event)
            if event.party_group_id or not await member_mobile.registered_in(
                session, person.id, branches
            ):
                raise
            record = _admit(event, person, data, qr, now, group_id, registered=True)
    except (CheckinError, NotInvited):
        # A repeat is answered with the first record, even once the code has rotated.
        existing = await scans.existing(session, event_id, person.id)
        if existing is not None:
            return existing, False
        raise
    return scans.Scan(event, person, record, principal, current_request_id())


async def _attendance_in_scope(
    session: AsyncSession, principal: Principal, attendance_id: int
) -> tuple[Attendance, PartyEvent]:
    attendance = await session.get(Attendance, attendance_id, with_for_update=True)
    if attendance is None:
        raise CheckinNotFound()
    event = await events.event_in_scope(session, principal=principal, event_id=attendance.event_id)
    return attendance, event


async def revoke(
    session: AsyncSession, *, principal: Principal, attendance_id: int, reason: str
) -> Attendance:
    attendance, event = await _attendance_in_scope(session, principal, attendance_id)
    if attendance.status not in (AttendanceStatus.present, AttendanceStatus.late):
        raise NotRevocable()
    async with audit.change(
        session,
        actor=principal,
        row=attendance,
        action="checkin.revoke",
        target_type="attendance",
        where=location_of(event),
    ):
        await take_back(session, attendance=attendance, principal=principal, reason=reason)
    return attendance


async def take_back(
    session: AsyncSession, *, attendance: Attendance, principal: Principal, reason: str
) -> None:
    """The check-in no longer stands (a mistake, the event cancelled): its points reversed."""
    if attendance.ledger_entry_id is not None:
        entry = await ledger.get_entry(session, attendance.ledger_entry_id)
        if entry.status == EntryStatus.posted:
            await ledger.reverse(
                session,
                entry=entry,
                actor=principal,
                reason=f"撤销签到：{reason}",
                source_id=f"checkin:{attendance.id}",
            )
    attendance.status = AttendanceStatus.revoked
    attendance.note = reason
    attendance.decided_by_person_id = principal.person_id


async def review(
    session: AsyncSession,
    *,
    principal: Principal,
    attendance_id: int,
    accept: bool,
    note: str | None,
) -> Attendance:
    """The branch admin's word on a scan that was queued offline with a stale code."""
    attendance, event = await _attendance_in_scope(session, principal, attendance_id)
    if attendance.status != AttendanceStatus.pending_review:
        raise NotPending()
    async with audit.change(
        session,
        actor=principal,
        row=attendance,
        action="checkin.review",
        target_type="attendance",
        where=location_of(event),
    ):
        attendance.decided_by_person_id = principal.person_id
        attendance.note = note
        if accept:
            attendance.status = _status(event, attendance.scanned_at)
            await scans.award_points(session, event, attendance, principal)
        else:
            attendance.status = AttendanceStatus.rejected
    return attendance

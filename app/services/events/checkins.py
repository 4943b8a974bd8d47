"""Check-in at an event: the rotating code, the window, the venue, the invitation; then the
attendance record and, by the event's rule, member points through the ledger (once)."""

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import BadRequest, Conflict, Forbidden, NotFound
from app.models.events import Attendance, AttendanceStatus, CheckinCreate, PartyEvent
from app.models.points import EntryStatus, Ledger, SourceType
from app.models.roster import Person
from app.services import audit
from app.services.events import events
from app.services.identity import Principal, bound_person, location_of
from app.services.kit import QrSettings, outside_venue, qr_tokens
from app.services.points import ledger, scoring_rules


class CheckinError(BadRequest):
    """A scan refused at the door: each reason has its own code."""


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


class CheckinNotFound(NotFound):
    code = "checkin.not_found"
    detail = "找不到该签到记录。"


async def _existing(session: AsyncSession, event_id: int, person_id: int) -> Attendance | None:
    return (
        await session.exec(
            select(Attendance).where(
                col(Attendance.event_id) == event_id, col(Attendance.person_id) == person_id
            )
        )
    ).first()


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


async def award_points(
    session: AsyncSession, event: PartyEvent, attendance: Attendance, actor: Principal | None
) -> None:
    """Posts the event's rule to the member once; the attendance keeps the entry's id."""
    if not event.rule_code or attendance.ledger_entry_id is not None:
        return
    rule = await scoring_rules.resolve(
        session, code=event.rule_code, town_id=event.town_id, village_id=event.village_id
    )
    posting = scoring_rules.posting_for(
        rule,
        quantity=None,
        note=event.title,
        media_ids=[],
        source_type=SourceType.checkin,
        source_id=str(attendance.id),
    )
    person = await session.get(Person, attendance.person_id)
    assert person is not None
    entry = await ledger.credit(
        session,
        ledger=Ledger.member,
        owner=ledger.Owner.of_person(person),
        posting=posting,
        actor=actor,
    )
    attendance.ledger_entry_id = entry.id
    attendance.points = entry.points


async def check_in(
    session: AsyncSession,
    *,
    principal: Principal,
    event_id: int,
    data: CheckinCreate,
    qr: QrSettings,
) -> tuple[Attendance, bool]:
    """Returns the attendance and whether this call made it (a repeat returns the first)."""
    event = await session.get(PartyEvent, event_id)
    if event is None:
        raise events.EventNotFound()
    person = await bound_person(session, principal, to="签到")
    assert person.id is not None
    existing = await _existing(session, event_id, person.id)
    if existing is not None:
        return existing, False
    now = utcnow()
    checked = qr_tokens.check(qr, data.token, qr_tokens.Purpose.event, event_id, now=now)
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
    if not person.is_party_member or person.branch_id not in events.expected_branches(event):
        raise NotInvited()
    attendance = Attendance(
        event_id=event_id,
        person_id=person.id,
        town_id=event.town_id,
        branch_id=person.branch_id,
        status=AttendanceStatus.pending_review if offline else _status(event, scanned_at),
        scanned_at=scanned_at,
        lat=data.lat,
        lng=data.lng,
        accuracy_m=data.accuracy,
        distance_m=distance,
        queued_offline=offline,
    )
    try:
        async with session.begin_nested():
            session.add(attendance)
            await session.flush()
    except IntegrityError:
        # The same member's other phone got there first: that record is the answer.
        first = await _existing(session, event_id, person.id)
        assert first is not None
        return first, False
    if not offline:
        await award_points(session, event, attendance, principal)
    return attendance, True


async def _attendance_in_scope(
    session: AsyncSession, principal: Principal, attendance_id: int
) -> tuple[Attendance, PartyEvent]:
    attendance = await session.get(Attendance, attendance_id, with_for_update=True)
    if attendance is None:
        raise CheckinNotFound()
    event = await events.event_in_scope(session, principal, attendance.event_id)
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
    return attendance


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
            await award_points(session, event, attendance, principal)
        else:
            attendance.status = AttendanceStatus.rejected
    return attendance

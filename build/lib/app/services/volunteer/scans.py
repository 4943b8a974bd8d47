"""Scanning in and out with the organiser's rotating codes, and records left open."""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import BadRequest, Conflict, Forbidden
from app.models.volunteer import (
    RecordStatus,
    ScanCreate,
    ScanKind,
    VolunteerActivity,
    VolunteerEnrolment,
    VolunteerRecord,
)
from app.services.identity import Principal, bound_person
from app.services.kit import QrSettings, geo, qr_tokens
from app.services.volunteer.common import (
    PURPOSES,
    SCAN_GRACE,
    ActivityNotFound,
    credited_minutes,
    locked_record,
)


class AlreadySignedIn(Conflict):
    code = "volunteer.already_signed_in"
    detail = "您已经签到过了。"


class AlreadySignedOut(Conflict):
    code = "volunteer.already_signed_out"
    detail = "您已经签退过了。"


class Closed(BadRequest):
    code = "volunteer.closed"
    detail = "不在本次活动的签到签退时间内。"


class LocationRequired(BadRequest):
    code = "volunteer.location_required"
    detail = "请允许小程序获取位置后再扫码。"


class NotEnrolled(Forbidden):
    code = "volunteer.not_enrolled"
    detail = "本活动需要先报名。"


class NotSignedIn(Conflict):
    code = "volunteer.not_signed_in"
    detail = "您还没有签到，请先扫签到码。"


class OutOfRange(BadRequest):
    code = "volunteer.out_of_range"
    detail = "您离活动地点约 … 米，请到场后再扫码。"


class QrExpired(BadRequest):
    code = "volunteer.qr_expired"
    detail = "二维码已过期，请重新扫描组织者手机上的二维码。"


class QrInvalid(BadRequest):
    code = "volunteer.qr_invalid"
    detail = "二维码无效，请扫描本次志愿活动的签到或签退码。"


def _read_token(
    activity: VolunteerActivity,
    data: ScanCreate,
    *,
    qr: QrSettings,
    now: datetime,
) -> tuple[ScanKind, datetime]:
    """Which code was scanned and when its window opened: the record's time, not the phone's."""
    assert activity.id is not None
    for kind, purpose in PURPOSES.items():
        checked = qr_tokens.check(qr, data.token, purpose, activity.id, now=now)
        if checked is None:
            continue
        if checked.freshness is qr_tokens.Freshness.poster or checked.window_start is None:
            break  # volunteers scan the organiser's rotating code, never a printed one
        if checked.freshness is qr_tokens.Freshness.stale:
            raise QrExpired()
        return kind, checked.window_start
    raise QrInvalid()


def _check_place(activity: VolunteerActivity, data: ScanCreate) -> None:
    if activity.venue_lat is None or activity.venue_lng is None or not activity.venue_radius_m:
        return
    if data.lat is None or data.lng is None:
        raise LocationRequired()
    distance, outside = geo.outside_venue(
        venue=(activity.venue_lat, activity.venue_lng),
        radius_m=activity.venue_radius_m,
        lat=data.lat,
        lng=data.lng,
        coord_type=data.coord_type,
        accuracy=data.accuracy,
    )
    if outside:
        raise OutOfRange(f"您离活动地点约 {round(distance)} 米，请到场后再扫码。")


async def scan(
    session: AsyncSession,
    *,
    principal: Principal,
    activity_id: int,
    data: ScanCreate,
    qr: QrSettings,
) -> tuple[VolunteerRecord, bool]:
    """The record, and whether this scan created it (a sign-in) rather than updated it."""
    activity = await session.get(VolunteerActivity, activity_id)
    if activity is None:
        raise ActivityNotFound()
    person = await bound_person(session, principal, to="参加志愿活动")
    assert person.id is not None
    now = utcnow()
    kind, at = _read_token(activity, data, qr=qr, now=now)
    if not activity.starts_at - SCAN_GRACE <= at <= activity.ends_at + SCAN_GRACE:
        raise Closed()
    _check_place(activity, data)
    record = await locked_record(session, activity_id, person.id)
    if kind is ScanKind.sign_out:
        if record is None:
            raise NotSignedIn()
        if record.status != RecordStatus.signed_in:
            raise AlreadySignedOut()
        assert record.sign_in_at is not None
        record.sign_out_at = max(at, record.sign_in_at)
        record.minutes = credited_minutes(activity, record.sign_in_at, record.sign_out_at)
        record.status = RecordStatus.pending_confirmation
        await session.flush()
        return record, False
    if record is not None:
        raise AlreadySignedIn()
    if at > activity.ends_at:
        raise Closed("活动已结束，不能再签到。")
    if activity.enrolment_required:
        enrolled = (
            await session.exec(
                select(VolunteerEnrolment.id).where(
                    col(VolunteerEnrolment.activity_id) == activity_id,
                    col(VolunteerEnrolment.person_id) == person.id,
                )
            )
        ).first()
        if enrolled is None:
            raise NotEnrolled()
    record = VolunteerRecord(
        activity_id=activity_id,
        person_id=person.id,
        town_id=activity.town_id,
        village_id=person.village_id or activity.village_id,
        status=RecordStatus.signed_in,
        sign_in_at=at,
    )
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError as exc:
        raise AlreadySignedIn() from exc
    return record, True


async def close_finished(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Records still signed in when their activity ended wait for the organiser, flagged."""
    moment = now or utcnow()
    stale = (
        await session.exec(
            select(VolunteerRecord)
            .join(VolunteerActivity, col(VolunteerActivity.id) == col(VolunteerRecord.activity_id))
            .where(
                col(VolunteerRecord.status) == RecordStatus.signed_in,
                col(VolunteerActivity.ends_at) < moment - SCAN_GRACE,
            )
            .with_for_update(of=VolunteerRecord)
        )
    ).all()
    for record in stale:
        record.status = RecordStatus.pending_confirmation
        record.no_sign_out = True
        record.minutes = 0  # no sign-out, no time: the organiser corrects it by hand
    await session.flush()
    return len(stale)

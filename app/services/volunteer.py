"""Volunteer activities: the organiser's activity and codes, scanning in and out, records left
open, hand entries, and confirmation that posts minutes (and points by rule) exactly once."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import AppError, BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from app.models.points import LEDGER_OWNER, Ledger, OwnerType, SourceType
from app.models.roster import Branch, Person, Village
from app.models.volunteer import (
    ActivityCreate,
    HandEntry,
    RecordStatus,
    ScanCreate,
    ScanKind,
    VolunteerActivity,
    VolunteerEnrolment,
    VolunteerRecord,
)
from app.services import audit, geo, ledger, points, qr_tokens, scoring_rules, volunteer_minutes
from app.services.scopes import Location, Principal, covers

# Volunteers may scan in a little before the start and out a little after the end.
SCAN_GRACE = timedelta(minutes=30)
_PURPOSE = {
    ScanKind.sign_in: qr_tokens.Purpose.sign_in,
    ScanKind.sign_out: qr_tokens.Purpose.sign_out,
}


class ActivityNotFound(NotFound):
    code, detail = "volunteer.activity_not_found", "找不到该志愿活动。"


def _refuse(code: str, detail: str, status: type[AppError] = BadRequest) -> AppError:
    return status(detail, code=f"volunteer.{code}")


def where(activity: VolunteerActivity) -> Location:
    return Location(
        town_id=activity.town_id, village_id=activity.village_id, branch_id=activity.branch_id
    )


async def create_activity(
    session: AsyncSession, *, principal: Principal, data: ActivityCreate
) -> VolunteerActivity:
    town_id, village_id, branch_id = data.town_id, data.village_id, data.branch_id
    if branch_id is not None:
        branch = await session.get(Branch, branch_id)
        if branch is None:
            raise NotFound("找不到该党支部。", code="branch.not_found")
        town_id, village_id = branch.town_id, branch.village_id
    elif village_id is not None:
        village = await session.get(Village, village_id)
        if village is None:
            raise NotFound("找不到该村。", code="village.not_found")
        town_id = village.town_id
    assert town_id is not None
    place = Location(town_id=town_id, village_id=village_id, branch_id=branch_id)
    if not covers(principal, place):
        raise Forbidden("只能在自己管理的范围内组织志愿活动。", code="volunteer.scope")
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
    session: AsyncSession, principal: Principal, activity_id: int, *, lock: bool = False
) -> VolunteerActivity:
    """An activity the caller organises (admins of its town, village or branch)."""
    activity = await session.get(VolunteerActivity, activity_id, with_for_update=lock or None)
    if activity is None or not covers(principal, where(activity)):
        raise ActivityNotFound()
    return activity


def current_token(
    activity: VolunteerActivity, kind: ScanKind, *, secret: str, rotate_seconds: int
) -> tuple[str, datetime]:
    assert activity.id is not None
    return qr_tokens.issue(
        secret, _PURPOSE[kind], activity.id, now=utcnow(), rotate_seconds=rotate_seconds
    )


async def _person(session: AsyncSession, principal: Principal) -> Person:
    person = await session.get(Person, principal.person_id) if principal.person_id else None
    if person is None:
        raise Forbidden("请先绑定手机号，再参加志愿活动。", code="auth.not_bound")
    return person


async def _record(
    session: AsyncSession, activity_id: int, person_id: int
) -> VolunteerRecord | None:
    return (
        await session.exec(
            select(VolunteerRecord)
            .where(
                col(VolunteerRecord.activity_id) == activity_id,
                col(VolunteerRecord.person_id) == person_id,
            )
            .with_for_update()
        )
    ).first()


def _minutes(activity: VolunteerActivity, sign_in: datetime, sign_out: datetime) -> int:
    return volunteer_minutes.credited(
        sign_in=sign_in,
        sign_out=sign_out,
        starts=activity.starts_at,
        ends=activity.ends_at,
        round_minutes=activity.round_minutes,
        max_minutes=activity.max_minutes,
        min_share=activity.min_share,
    )


def _read_token(
    activity: VolunteerActivity,
    data: ScanCreate,
    *,
    secret: str,
    rotate_seconds: int,
    now: datetime,
) -> tuple[ScanKind, datetime]:
    """Which code was scanned and when its window opened: the record's time, not the phone's."""
    assert activity.id is not None
    for kind, purpose in _PURPOSE.items():
        checked = qr_tokens.check(
            secret, data.token, purpose, activity.id, now=now, rotate_seconds=rotate_seconds
        )
        if checked is None:
            continue
        if checked.freshness is qr_tokens.Freshness.poster or checked.window_start is None:
            break  # volunteers scan the organiser's rotating code, never a printed one
        if checked.freshness is qr_tokens.Freshness.stale:
            raise _refuse("qr_expired", "二维码已过期，请重新扫描组织者手机上的二维码。")
        return kind, checked.window_start
    raise _refuse("qr_invalid", "二维码无效，请扫描本次志愿活动的签到或签退码。")


def _check_place(activity: VolunteerActivity, data: ScanCreate) -> None:
    if activity.venue_lat is None or activity.venue_lng is None or not activity.venue_radius_m:
        return
    if data.lat is None or data.lng is None:
        raise _refuse("location_required", "请允许小程序获取位置后再扫码。")
    distance, outside = geo.outside_venue(
        venue=(activity.venue_lat, activity.venue_lng),
        radius_m=activity.venue_radius_m,
        lat=data.lat,
        lng=data.lng,
        coord_type=data.coord_type,
        accuracy=data.accuracy,
    )
    if outside:
        raise _refuse("out_of_range", f"您离活动地点约 {round(distance)} 米，请到场后再扫码。")


async def scan(
    session: AsyncSession,
    *,
    principal: Principal,
    activity_id: int,
    data: ScanCreate,
    secret: str,
    rotate_seconds: int,
) -> VolunteerRecord:
    activity = await session.get(VolunteerActivity, activity_id)
    if activity is None:
        raise ActivityNotFound()
    person = await _person(session, principal)
    assert person.id is not None
    now = utcnow()
    kind, at = _read_token(activity, data, secret=secret, rotate_seconds=rotate_seconds, now=now)
    if not activity.starts_at - SCAN_GRACE <= at <= activity.ends_at + SCAN_GRACE:
        raise _refuse("closed", "不在本次活动的签到签退时间内。")
    _check_place(activity, data)
    record = await _record(session, activity_id, person.id)
    if kind is ScanKind.sign_out:
        if record is None:
            raise _refuse("not_signed_in", "您还没有签到，请先扫签到码。", Conflict)
        if record.status != RecordStatus.signed_in.value:
            raise _refuse("already_signed_out", "您已经签退过了。", Conflict)
        assert record.sign_in_at is not None
        record.sign_out_at = max(at, record.sign_in_at)
        record.minutes = _minutes(activity, record.sign_in_at, record.sign_out_at)
        record.status = RecordStatus.pending_confirmation.value
        await session.flush()
        return record
    if record is not None:
        raise _refuse("already_signed_in", "您已经签到过了。", Conflict)
    if at > activity.ends_at:
        raise _refuse("closed", "活动已结束，不能再签到。")
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
            raise _refuse("not_enrolled", "本活动需要先报名。", Forbidden)
    record = VolunteerRecord(
        activity_id=activity_id,
        person_id=person.id,
        town_id=activity.town_id,
        village_id=person.village_id or activity.village_id,
        status=RecordStatus.signed_in.value,
        sign_in_at=at,
    )
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError as exc:
        raise _refuse("already_signed_in", "您已经签到过了。", Conflict) from exc
    return record


async def enrol(
    session: AsyncSession, *, principal: Principal, activity_id: int
) -> VolunteerEnrolment:
    # Locked so that two volunteers taking the last place cannot both get it.
    activity = await session.get(VolunteerActivity, activity_id, with_for_update=True)
    if activity is None:
        raise ActivityNotFound()
    person = await _person(session, principal)
    existing = (
        await session.exec(
            select(VolunteerEnrolment).where(
                col(VolunteerEnrolment.activity_id) == activity_id,
                col(VolunteerEnrolment.person_id) == person.id,
            )
        )
    ).first()
    if existing is not None:
        return existing
    if utcnow() > activity.ends_at:
        raise _refuse("closed", "活动已结束，不能再报名。")
    if activity.capacity is not None:
        taken = len(
            (
                await session.exec(
                    select(VolunteerEnrolment.id).where(
                        col(VolunteerEnrolment.activity_id) == activity_id
                    )
                )
            ).all()
        )
        if taken >= activity.capacity:
            raise _refuse("full", "报名人数已满。", Conflict)
    enrolment = VolunteerEnrolment(activity_id=activity_id, person_id=person.id or 0)
    session.add(enrolment)
    await session.flush()
    return enrolment


async def close_finished(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Records still signed in when their activity ended wait for the organiser, flagged."""
    moment = now or utcnow()
    stale = (
        await session.exec(
            select(VolunteerRecord)
            .join(VolunteerActivity, col(VolunteerActivity.id) == col(VolunteerRecord.activity_id))
            .where(
                col(VolunteerRecord.status) == RecordStatus.signed_in.value,
                col(VolunteerActivity.ends_at) < moment - SCAN_GRACE,
            )
            .with_for_update(of=VolunteerRecord)
        )
    ).all()
    for record in stale:
        record.status = RecordStatus.pending_confirmation.value
        record.no_sign_out = True
        record.minutes = 0  # no sign-out, no time: the organiser corrects it by hand
    await session.flush()
    return len(stale)


async def records(
    session: AsyncSession, *, principal: Principal, activity_id: int
) -> Sequence[VolunteerRecord]:
    await organised(session, principal, activity_id)
    return (
        await session.exec(
            select(VolunteerRecord)
            .where(col(VolunteerRecord.activity_id) == activity_id)
            .order_by(col(VolunteerRecord.id))
        )
    ).all()


async def enter_by_hand(
    session: AsyncSession, *, principal: Principal, activity_id: int, data: HandEntry
) -> VolunteerRecord:
    """补录 or a correction: the organiser's times, credited by the same rule, marked as theirs."""
    activity = await organised(session, principal, activity_id)
    person = await session.get(Person, data.person_id)
    if person is None or person.town_id != activity.town_id:
        raise NotFound("找不到该志愿者。", code="person.not_found")
    record = await _record(session, activity_id, data.person_id)
    before = audit.snapshot(record) if record else None
    if record is not None and record.status == RecordStatus.confirmed.value:
        raise _refuse("already_confirmed", "该记录已确认，时长已记入，不能再改。", Conflict)
    if record is None:
        record = VolunteerRecord(
            activity_id=activity_id,
            person_id=data.person_id,
            town_id=activity.town_id,
            village_id=person.village_id or activity.village_id,
            status=RecordStatus.pending_confirmation.value,
        )
        session.add(record)
    # Never more than the activity itself: times outside it do not count.
    record.sign_in_at = max(data.sign_in_at, activity.starts_at)
    record.sign_out_at = min(data.sign_out_at, activity.ends_at)
    if record.sign_out_at <= record.sign_in_at:
        raise Unprocessable("补录的时间不在活动时间内。", code="volunteer.outside_activity")
    record.minutes = _minutes(activity, record.sign_in_at, record.sign_out_at)
    record.status = RecordStatus.pending_confirmation.value
    record.entered_by_hand = True
    record.no_sign_out = False
    record.note = data.note
    record.entered_by_person_id = principal.person_id
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="volunteer_record.hand_entry",
        target_type="volunteer_record",
        target_id=record.id or 0,
        where=where(activity),
        before=before,
        after=audit.snapshot(record),
    )
    return record


async def _locked_records(
    session: AsyncSession, activity_id: int, record_ids: Sequence[int]
) -> list[VolunteerRecord]:
    rows = (
        await session.exec(
            select(VolunteerRecord)
            .where(
                col(VolunteerRecord.id).in_(record_ids),
                col(VolunteerRecord.activity_id) == activity_id,
            )
            .order_by(col(VolunteerRecord.id))
            .with_for_update()
        )
    ).all()
    if {r.id for r in rows} != set(record_ids):
        raise NotFound("有记录不属于本活动。", code="volunteer.record_not_found")
    return list(rows)


async def confirm(
    session: AsyncSession, *, principal: Principal, activity_id: int, record_ids: Sequence[int]
) -> list[VolunteerRecord]:
    """Posts each record's minutes (and points by the activity's rule) once. Records already
    confirmed are left as they are, so a repeat changes nothing; any record not waiting for
    confirmation refuses the whole batch."""
    activity = await organised(session, principal, activity_id, lock=True)
    rows = await _locked_records(session, activity_id, record_ids)
    waiting = [r for r in rows if r.status == RecordStatus.pending_confirmation.value]
    blocked = [
        r
        for r in rows
        if r.status not in (RecordStatus.pending_confirmation.value, RecordStatus.confirmed.value)
    ]
    if blocked:
        raise _refuse(
            "not_pending",
            f"有 {len(blocked)} 条记录尚未签退或已被驳回，本次未做任何确认。",
            Conflict,
        )
    now = utcnow()
    for record in waiting:
        person = await session.get(Person, record.person_id)
        assert person is not None and record.id is not None
        if record.minutes > 0:
            account = await ledger.account_for(
                session,
                ledger=Ledger.volunteer,
                owner=ledger.Owner(
                    OwnerType.person, person.id or 0, person.town_id, person.village_id
                ),
            )
            entry = await ledger.post(
                session,
                account=account,
                posting=ledger.Posting(
                    title=activity.title,
                    points_each=record.minutes,
                    source_type=SourceType.volunteer,
                    source_id=str(record.id),
                ),
                actor=principal,
            )
            record.entry_id = entry.id
            record.points_entry_id = await _points_by_rule(
                session, activity, record, person, principal
            )
        record.status = RecordStatus.confirmed.value
        record.decided_by_person_id = principal.person_id
        record.decided_at = now
        await audit.record(
            session,
            actor=principal,
            action="volunteer_record.confirm",
            target_type="volunteer_record",
            target_id=record.id,
            where=where(activity),
            after={"minutes": record.minutes, "entry_id": record.entry_id},
        )
    await session.flush()
    return rows


async def _points_by_rule(
    session: AsyncSession,
    activity: VolunteerActivity,
    record: VolunteerRecord,
    person: Person,
    principal: Principal,
) -> int | None:
    """The activity's rule turns confirmed hours into member or household points."""
    if activity.rule_code is None:
        return None
    rule = await scoring_rules.resolve(
        session, code=activity.rule_code, town_id=activity.town_id, village_id=activity.village_id
    )
    book = Ledger(rule.ledger)
    if LEDGER_OWNER[book] is OwnerType.household:
        if person.household_id is None:
            return None
        owner = ledger.Owner(
            OwnerType.household, person.household_id, person.town_id, person.village_id
        )
    elif book is Ledger.member and person.is_party_member:
        owner = ledger.Owner(OwnerType.person, person.id or 0, person.town_id, person.village_id)
    else:
        return None
    hours = record.minutes // 60
    if rule.unit == "hour" and hours == 0:
        return None
    quantity = min(hours, 24) if rule.unit == "hour" else None
    posting = points.posting_for(
        rule,
        quantity=quantity,
        note=f"志愿服务 {record.minutes} 分钟",
        media_ids=[],
        source_type=SourceType.volunteer,
        source_id=str(record.id),
    )
    account = await ledger.account_for(session, ledger=book, owner=owner)
    entry = await ledger.post(session, account=account, posting=posting, actor=principal)
    return entry.id


async def reject(
    session: AsyncSession,
    *,
    principal: Principal,
    activity_id: int,
    record_ids: Sequence[int],
    note: str | None,
) -> list[VolunteerRecord]:
    activity = await organised(session, principal, activity_id, lock=True)
    rows = await _locked_records(session, activity_id, record_ids)
    if any(r.status == RecordStatus.confirmed.value for r in rows):
        raise _refuse("already_confirmed", "已确认的记录不能驳回。", Conflict)
    now = utcnow()
    for record in rows:
        record.status = RecordStatus.rejected.value
        record.note = note or record.note
        record.decided_by_person_id = principal.person_id
        record.decided_at = now
        await audit.record(
            session,
            actor=principal,
            action="volunteer_record.reject",
            target_type="volunteer_record",
            target_id=record.id or 0,
            where=where(activity),
            after={"note": note},
        )
    await session.flush()
    return rows


async def my_records(
    session: AsyncSession, *, principal: Principal, limit: int = 50
) -> list[VolunteerRecord]:
    if principal.person_id is None:
        return []
    return list(
        (
            await session.exec(
                select(VolunteerRecord)
                .where(col(VolunteerRecord.person_id) == principal.person_id)
                .order_by(col(VolunteerRecord.id).desc())
                .limit(limit)
            )
        ).all()
    )

"""The organiser's records: hand entries, confirmation posted once, rejection; my records."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.notifications import NotificationKind
from app.models.points import LEDGER_OWNER, Ledger, OwnerType, SourceType
from app.models.roster import Person
from app.models.volunteer import (
    HandEntry,
    RecordStatus,
    VolunteerActivity,
    VolunteerRecord,
)
from app.services import audit
from app.services.identity import Principal, covers, location_of
from app.services.kit import Page, keyset_page
from app.services.notifications import notify
from app.services.points import ledger, scoring_rules
from app.services.volunteer.activities import organised
from app.services.volunteer.common import credited_minutes, locked_record


class AlreadyConfirmed(Conflict):
    code = "volunteer.already_confirmed"
    detail = "该记录已确认，时长已记入，不能再改。"


class NotPending(Conflict):
    code = "volunteer.not_pending"
    detail = "有 … 条记录尚未签退或已被驳回，本次未做任何确认。"


class OutsideActivity(Unprocessable):
    code = "volunteer.outside_activity"
    detail = "补录的时间不在活动时间内。"


class PersonNotFound(NotFound):
    code = "person.not_found"
    detail = "找不到该志愿者。"


class RecordNotFound(NotFound):
    code = "volunteer.record_not_found"
    detail = "有记录不属于本活动。"


async def records(
    session: AsyncSession,
    *,
    principal: Principal,
    activity_id: int,
    limit: int,
    cursor: str | None,
) -> Page[VolunteerRecord]:
    await organised(session, principal=principal, activity_id=activity_id)
    stmt = select(VolunteerRecord).where(col(VolunteerRecord.activity_id) == activity_id)
    return await keyset_page(
        session, stmt, order_by=[col(VolunteerRecord.id)], limit=limit, cursor=cursor
    )


async def enter_by_hand(
    session: AsyncSession, *, principal: Principal, activity_id: int, data: HandEntry
) -> VolunteerRecord:
    """补录 or a correction: the organiser's times, credited by the same rule, marked as theirs."""
    activity = await organised(session, principal=principal, activity_id=activity_id)
    person = await session.get(Person, data.person_id)
    # The organiser's scope decides whose hours they may write, not just the activity's town.
    if (
        person is None
        or person.town_id != activity.town_id
        or not covers(principal, location_of(person))
    ):
        raise PersonNotFound()
    record = await locked_record(session, activity_id, data.person_id)
    if record is not None and record.status == RecordStatus.confirmed:
        raise AlreadyConfirmed()
    new = record is None
    if record is None:
        record = VolunteerRecord(
            activity_id=activity_id,
            person_id=data.person_id,
            town_id=activity.town_id,
            village_id=person.village_id or activity.village_id,
            status=RecordStatus.pending_confirmation,
        )
        session.add(record)
    # Never more than the activity itself: times outside it do not count.
    sign_in_at = max(data.sign_in_at, activity.starts_at)
    sign_out_at = min(data.sign_out_at, activity.ends_at)
    if sign_out_at <= sign_in_at:
        raise OutsideActivity()
    async with audit.change(
        session,
        actor=principal,
        row=record,
        new=new,
        action="volunteer_record.hand_entry",
        target_type="volunteer_record",
        where=location_of(activity),
    ):
        record.sign_in_at, record.sign_out_at = sign_in_at, sign_out_at
        record.minutes = credited_minutes(activity, sign_in_at, sign_out_at)
        record.status = RecordStatus.pending_confirmation
        record.entered_by_hand = True
        record.no_sign_out = False
        record.note = data.note
        record.entered_by_person_id = principal.person_id
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
        raise RecordNotFound()
    return list(rows)


async def confirm(
    session: AsyncSession, *, principal: Principal, activity_id: int, record_ids: Sequence[int]
) -> list[VolunteerRecord]:
    """Posts each record's minutes (and points by the activity's rule) once. Records already
    confirmed are left as they are, so a repeat changes nothing; any record not waiting for
    confirmation refuses the whole batch."""
    activity = await organised(session, principal=principal, activity_id=activity_id, lock=True)
    rows = await _locked_records(session, activity_id, record_ids)
    waiting = [r for r in rows if r.status == RecordStatus.pending_confirmation]
    blocked = [
        r
        for r in rows
        if r.status not in (RecordStatus.pending_confirmation, RecordStatus.confirmed)
    ]
    if blocked:
        raise NotPending(f"有 {len(blocked)} 条记录尚未签退或已被驳回，本次未做任何确认。")
    now = utcnow()
    people = {
        p.id: p
        for p in (
            await session.exec(
                select(Person).where(col(Person.id).in_([r.person_id for r in waiting]))
            )
        ).all()
    }
    for record in waiting:
        person = people[record.person_id]
        assert record.id is not None
        if record.minutes > 0:
            entry = await ledger.credit(
                session,
                ledger=Ledger.volunteer,
                owner=ledger.Owner.of_person(person),
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
        record.status = RecordStatus.confirmed
        record.decided_by_person_id = principal.person_id
        record.decided_at = now
        await audit.record(
            session,
            actor=principal,
            action="volunteer_record.confirm",
            target_type="volunteer_record",
            target_id=record.id,
            where=location_of(activity),
            after={"minutes": record.minutes, "entry_id": record.entry_id},
        )
        await notify(
            session,
            people=[record.person_id],
            kind=NotificationKind.volunteer_confirmed,
            target=("volunteer_record", record.id),
            title="志愿时长已确认",
            body=f"“{activity.title}”确认志愿服务 {record.minutes} 分钟。",
            values={
                "name": activity.title,
                "time": activity.starts_at,
                "points": f"{record.minutes} 分钟",
                "note": f"{record.minutes / 60:.1f} 小时",
            },
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
    owner: ledger.Owner | None = None
    if LEDGER_OWNER[book] is OwnerType.household:
        owner = ledger.Owner.household_of(person)
    elif book is Ledger.member and person.is_party_member:
        owner = ledger.Owner.of_person(person)
    if owner is None:
        return None
    hours = record.minutes // 60
    if rule.unit == "hour" and hours == 0:
        return None
    quantity = min(hours, 24) if rule.unit == "hour" else None
    posting = scoring_rules.posting_for(
        rule,
        quantity=quantity,
        note=f"志愿服务 {record.minutes} 分钟",
        media_ids=[],
        source_type=SourceType.volunteer,
        source_id=str(record.id),
    )
    entry = await ledger.credit(session, ledger=book, owner=owner, posting=posting, actor=principal)
    return entry.id


async def reject(
    session: AsyncSession,
    *,
    principal: Principal,
    activity_id: int,
    record_ids: Sequence[int],
    note: str | None,
) -> list[VolunteerRecord]:
    activity = await organised(session, principal=principal, activity_id=activity_id, lock=True)
    rows = await _locked_records(session, activity_id, record_ids)
    if any(r.status == RecordStatus.confirmed for r in rows):
        raise AlreadyConfirmed("已确认的记录不能驳回。")
    now = utcnow()
    for record in rows:
        record.status = RecordStatus.rejected
        record.note = note or record.note
        record.decided_by_person_id = principal.person_id
        record.decided_at = now
        await audit.record(
            session,
            actor=principal,
            action="volunteer_record.reject",
            target_type="volunteer_record",
            target_id=id_of(record),
            where=location_of(activity),
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

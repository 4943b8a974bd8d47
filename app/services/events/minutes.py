"""The minutes of a meeting (会议记录): filed after it ends by the branch's admins or the member
they named, amended as new versions until the month is closed, read by the branch and the levels
above, and sent back by the town with a reason."""

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import china_today, to_china, utcnow
from app.errors import Conflict, Unprocessable
from app.models.base import id_of
from app.models.events import PartyEvent
from app.models.notifications import NotificationKind
from app.models.party_life import (
    EventMinutes,
    MinutesCreate,
    MinutesHistory,
    MinutesPublic,
    MinutesToReview,
)
from app.models.roster import Role
from app.services import audit, media
from app.services.events import attendance, events
from app.services.identity import Location, Principal, covers, location_of, scope_clause
from app.services.kit import Page, Storage, keyset_page
from app.services.notifications import notify

TOWN_ROLES = (Role.superadmin, Role.town_admin)


class TooEarly(Conflict):
    code = "minutes.too_early"
    detail = "活动结束后才能提交会议记录。"


class Closed(Conflict):
    code = "minutes.closed"
    detail = "该月的组织生活纪实已于次月底关账，会议记录不能再修改。"


class NotFiled(Conflict):
    code = "minutes.not_filed"
    detail = "该活动还没有提交会议记录。"


class AlreadyReturned(Conflict):
    code = "minutes.already_returned"
    detail = "这份会议记录已退回，等待重新提交。"


class PresentInvalid(Unprocessable):
    code = "minutes.present_invalid"
    detail = "确认到会的人员须是本次活动的应到人员。"


def closes_on(event: PartyEvent) -> date:
    """The last day minutes may be amended: the end of the month after the event's month,
    when the town closes that month's records (组织生活纪实按月关账)."""
    day = to_china(event.starts_at).date()
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _may_record(principal: Principal, event: PartyEvent) -> bool:
    named = principal.person_id is not None and principal.person_id == event.recorder_id
    return named or covers(principal, location_of(event))


async def _event(
    session: AsyncSession, principal: Principal, event_id: int, *, lock: bool = False
) -> PartyEvent:
    event = await session.get(PartyEvent, event_id, with_for_update=lock)
    if event is None or not _may_record(principal, event):
        raise events.EventNotFound()
    return event


async def versions_of(session: AsyncSession, event_id: int) -> list[EventMinutes]:
    found = await session.exec(
        select(EventMinutes)
        .where(col(EventMinutes.event_id) == event_id)
        .order_by(col(EventMinutes.version))
    )
    return list(found.all())


async def _present(session: AsyncSession, event: PartyEvent, asked: list[int] | None) -> list[int]:
    rows = await attendance.expected(session, event)
    if asked is None:
        return [r.person_id for r in rows if r.status in ("present", "late")]
    if not set(asked) <= {r.person_id for r in rows}:
        raise PresentInvalid()
    return sorted(set(asked))


async def file(
    session: AsyncSession,
    *,
    principal: Principal,
    event_id: int,
    data: MinutesCreate,
    storage: Storage,
    now: datetime | None = None,
) -> EventMinutes:
    """A new version: the first filing, an amendment, or the filing again after a return."""
    event = await _event(session, principal, event_id, lock=True)
    events.not_cancelled(event)
    now = now or utcnow()
    if now < event.ends_at:
        raise TooEarly()
    kept = await versions_of(session, event_id)
    latest = kept[-1] if kept else None
    returned = latest is not None and latest.returned_at is not None
    if latest is not None and not returned and china_today(now) > closes_on(event):
        raise Closed()
    photos = await media.require_own(session, principal=principal, media_ids=data.media_ids)
    # The branch's records: its photos are for the branch and the levels above, not the web.
    await media.keep_private(session, storage=storage, photos=photos)
    minutes = EventMinutes(
        event_id=event_id,
        version=len(kept) + 1,
        town_id=event.town_id,
        village_id=event.village_id,
        branch_id=event.branch_id,
        topics=data.topics,
        content=data.content,
        decisions=data.decisions,
        media_ids=data.media_ids,
        present_ids=await _present(session, event, data.present_ids),
        filed_at=now,
        filed_by=principal.person_id,
        filed_by_account_id=principal.account_id,
    )
    await audit.record_created(
        session, actor=principal, row=minutes, target_type="minutes", where=location_of(event)
    )
    return minutes


async def history(session: AsyncSession, *, principal: Principal, event_id: int) -> MinutesHistory:
    await _event(session, principal, event_id)
    shown = [MinutesPublic.model_validate(v) for v in await versions_of(session, event_id)]
    return MinutesHistory(
        event_id=event_id, latest=shown[-1] if shown else None, versions=shown[::-1]
    )


async def send_back(
    session: AsyncSession, *, principal: Principal, event_id: int, reason: str
) -> EventMinutes:
    """The town's review: the latest version no longer counts until minutes are filed anew."""
    event = await session.get(PartyEvent, event_id, with_for_update=True)
    if event is None or not covers(principal, Location(town_id=event.town_id), TOWN_ROLES):
        raise events.EventNotFound()
    kept = await versions_of(session, event_id)
    if not kept:
        raise NotFiled()
    latest = kept[-1]
    if latest.returned_at is not None:
        raise AlreadyReturned()
    async with audit.change(
        session,
        actor=principal,
        row=latest,
        action="minutes.return",
        target_type="minutes",
        where=location_of(event),
    ):
        latest.returned_at = utcnow()
        latest.returned_by = principal.person_id
        latest.return_reason = reason
    recorder = {p for p in (event.recorder_id, latest.filed_by) if p is not None}
    await notify(
        session,
        people=recorder,
        kind=NotificationKind.minutes_returned,
        target=("event", id_of(event)),
        occasion=f"version-{latest.version}",
        title="会议记录被退回",
        body=f"“{event.title}”的会议记录被镇里退回：{reason}。请修改后重新提交。",
        values={"name": event.title, "time": event.starts_at, "note": reason},
    )
    return latest


async def to_review(
    session: AsyncSession,
    *,
    principal: Principal,
    returned: bool | None,
    limit: int,
    cursor: str | None,
) -> Page[MinutesToReview]:
    """The latest minutes of each event in the caller's scope, newest first: the town's list."""
    later = aliased(EventMinutes)
    newer = select(later.id).where(
        later.event_id == col(EventMinutes.event_id), later.version > col(EventMinutes.version)
    )
    stmt: Any = select(EventMinutes).where(scope_clause(principal, EventMinutes), ~newer.exists())
    if returned is not None:
        column = col(EventMinutes.returned_at)
        stmt = stmt.where(column.is_not(None) if returned else column.is_(None))
    page = await keyset_page(
        session, stmt, order_by=[EventMinutes.id], limit=limit, cursor=cursor, descending=True
    )
    found = await session.exec(
        select(PartyEvent).where(col(PartyEvent.id).in_([m.event_id for m in page.items]))
    )
    by_id = {id_of(e): e for e in found.all()}
    return Page(
        items=[
            MinutesToReview(
                event_id=m.event_id,
                branch_id=m.branch_id,
                title=by_id[m.event_id].title,
                kind=by_id[m.event_id].kind,
                starts_at=by_id[m.event_id].starts_at,
                version=m.version,
                filed_at=m.filed_at,
                returned_at=m.returned_at,
                return_reason=m.return_reason,
            )
            for m in page.items
        ],
        next_cursor=page.next_cursor,
    )

"""The one way any domain tells people something: ``notify`` writes each person's inbox row,
which is also its WeChat message's delivery job, in the caller's transaction. And what a person
does with their inbox: list it, count the unread, mark read."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, to_china, utcnow
from app.db import dialect_name, rows, upsert_insert
from app.models.notifications import Notification, NotificationKind, WechatState
from app.services.identity import Principal, bound_person
from app.services.kit import Page, keyset_page

# The mini-program page each kind opens; {id} is the target's id.
PAGES: dict[NotificationKind, str] = {
    NotificationKind.event_reminder: "pages/event/detail?id={id}",
    NotificationKind.leave_decided: "pages/event/detail?id={id}",
    NotificationKind.appeal_decided: "pages/points/index?appeal={id}",
    NotificationKind.post_reviewed: "pages/feed/detail?id={id}",
    NotificationKind.points_posted: "pages/points/index?entry={id}",
    NotificationKind.grid_task_assigned: "pages/grid/task?id={id}",
    NotificationKind.grid_task_overdue: "pages/grid/task?id={id}",
    NotificationKind.redemption_ready: "pages/shop/redemption?id={id}",
    NotificationKind.redemption_expiring: "pages/shop/redemption?id={id}",
    NotificationKind.volunteer_confirmed: "pages/volunteer/index?record={id}",
    NotificationKind.service_request_updated: "pages/service/detail?id={id}",
    NotificationKind.notice: "pages/notice/detail?id={id}",
    NotificationKind.development_overdue: "pages/admin/development?case={id}",
    NotificationKind.event_changed: "pages/event/detail?id={id}",
    NotificationKind.event_cancelled: "pages/event/detail?id={id}",
    NotificationKind.minutes_returned: "pages/admin/minutes?event={id}",
    NotificationKind.political_birthday: "pages/me/party-file",
    NotificationKind.transfer_pending: "pages/admin/transfers?id={id}",
    NotificationKind.dues_owed: "pages/dues/index",
    NotificationKind.dues_arrears: "pages/admin/dues?person={id}",
    NotificationKind.branch_red: "pages/admin/health?branch={id}",
}
QUIET_FROM, QUIET_UNTIL = time(22, 0), time(7, 0)
_SLICE = 1000


def quiet(now: datetime) -> bool:
    """22:00–07:00 China time: no WeChat message wakes anyone."""
    clock = to_china(now).time()
    return clock >= QUIET_FROM or clock < QUIET_UNTIL


def after_quiet(now: datetime) -> datetime:
    """When a message made now may go out: now, or 07:00 China time after the quiet hours."""
    if not quiet(now):
        return now
    china = to_china(now)
    day = china.date() if china.time() < QUIET_UNTIL else china.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=CHINA)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe: times as ISO strings (the template's time fields read them back)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in values.items()
        if value is not None
    }


@dataclass(frozen=True, slots=True)
class Note:
    """What one inbox row says, before whose inbox it is in."""

    kind: NotificationKind
    target: tuple[str, int | str]
    title: str
    body: str
    values: dict[str, Any] | None = None
    occasion: str = ""
    wechat: bool = True

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _row(note: Note, now: datetime) -> dict[str, Any]:
    target_type, target_id = note.target[0], str(note.target[1])
    return {
        "kind": note.kind,
        "target_type": target_type,
        "target_id": target_id,
        "occasion": note.occasion,
        "title": note.title[:100],
        "body": note.body[:500],
        "page": PAGES[note.kind].format(id=target_id),
        "values": _plain({"title": note.title, "body": note.body, **(note.values or {})}),
        "created_at": now,
        "wechat": WechatState.pending if note.wechat else WechatState.skipped,
        "deliver_after": after_quiet(now),
    }


async def notify(
    session: AsyncSession,
    *,
    people: Iterable[int],
    kind: NotificationKind,
    target: tuple[str, int | str],
    title: str,
    body: str,
    values: dict[str, Any] | None = None,
    occasion: str = "",
    wechat: bool = True,
) -> int:
    """An inbox row for each person (once per person, kind, target and occasion, however often
    this runs); ``wechat`` False keeps it to the inbox. Returns how many rows are new."""
    wanted = sorted(set(people))
    if not wanted:
        return 0
    row = _row(Note(kind, target, title, body, values, occasion, wechat), utcnow())
    if len(wanted) == 1:
        # The common case (a posting, a decision): a statement built once, not per call.
        one = {**row, "person_id": wanted[0]}
        found = await rows.insert_values(session, Notification, one, skip_conflict=True)
        return 0 if found is None else 1
    insert = upsert_insert(dialect_name(session))
    added = 0
    # In slices: a notice to a whole village must stay under the drivers' parameter limits.
    for start in range(0, len(wanted), _SLICE):
        stmt: Any = (
            insert(Notification)
            .values([{**row, "person_id": person} for person in wanted[start : start + _SLICE]])
            .on_conflict_do_nothing()
        )
        result = await session.execute(stmt)
        added += int(getattr(result, "rowcount", 0) or 0)
    return added


async def notify_each(session: AsyncSession, notes: Sequence[tuple[int, Note]]) -> None:
    """Each person their own row (a group of postings): one statement for all, each row once
    per person, kind, target and occasion, as ``notify`` keeps it."""
    now = utcnow()
    conn = await rows.connection(session)
    await rows.insert_many(
        conn,
        Notification,
        [{**_row(note, now), "person_id": person} for person, note in notes],
        skip_conflict=True,
    )


async def my_notifications(
    session: AsyncSession,
    *,
    principal: Principal,
    unread: bool,
    limit: int,
    cursor: str | None,
) -> Page[Notification]:
    person = await bound_person(session, principal, to="查看消息")
    stmt: Any = select(Notification).where(col(Notification.person_id) == person.id)
    if unread:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    return await keyset_page(
        session, stmt, order_by=[col(Notification.id)], limit=limit, cursor=cursor, descending=True
    )


async def unread_count(session: AsyncSession, *, principal: Principal) -> int:
    person = await bound_person(session, principal, to="查看消息")
    stmt = select(func.count()).where(
        col(Notification.person_id) == person.id, col(Notification.read_at).is_(None)
    )
    return int((await session.exec(stmt)).one())


async def mark_read(
    session: AsyncSession, *, principal: Principal, ids: list[int], everything: bool
) -> int:
    """Marks the caller's own rows read; ids of anyone else's are silently not theirs."""
    person = await bound_person(session, principal, to="查看消息")
    stmt: Any = (
        update(Notification)
        .where(col(Notification.person_id) == person.id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    if not everything:
        stmt = stmt.where(col(Notification.id).in_(ids))
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)

"""Reminders of Party days: the evening before (from 18:00 China time) and in the hour before
the start, to every invited member who has neither checked in nor asked for leave. Run by the
periodic jobs; running twice (two workers, a retry) reminds no one twice."""

from datetime import datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA, to_china
from app.models.base import id_of
from app.models.events import EventStatus, LeaveRequest, PartyEvent
from app.models.labels import label
from app.models.notifications import NotificationKind
from app.services.events import attendance
from app.services.notifications import notify

EVENING = time(18, 0)


async def _remind(session: AsyncSession, event: PartyEvent, occasion: str) -> int:
    asked = set(
        (
            await session.exec(
                select(LeaveRequest.person_id).where(col(LeaveRequest.event_id) == event.id)
            )
        ).all()
    )
    waiting = [
        row.person_id
        for row in await attendance.expected(session, event)
        if row.status == "absent" and row.person_id not in asked
    ]
    start = to_china(event.starts_at)
    when = "明天" if occasion == "eve" else "一小时后"
    place = f"，地点：{event.venue_name}" if event.venue_name else ""
    return await notify(
        session,
        people=waiting,
        kind=NotificationKind.event_reminder,
        target=("event", id_of(event)),
        occasion=occasion,
        title=f"{when}{label('EventKind', event.kind)}",
        body=f"“{event.title}”{start:%m月%d日 %H:%M} 开始{place}。",
        values={
            "name": event.title,
            "time": event.starts_at,
            "place": event.venue_name or "见通知",
            "note": f"{when}开始，请准时参加",
        },
    )


async def remind(session: AsyncSession, *, now: datetime) -> int:
    """Every reminder due at ``now``; returns how many inbox rows it added."""
    china = to_china(now)
    added = 0
    if china.time() >= EVENING:
        tomorrow = datetime.combine(china.date() + timedelta(days=1), time(0), tzinfo=CHINA)
        for event in (
            await session.exec(
                select(PartyEvent).where(
                    col(PartyEvent.status) == EventStatus.scheduled,
                    col(PartyEvent.starts_at) >= tomorrow,
                    col(PartyEvent.starts_at) < tomorrow + timedelta(days=1),
                )
            )
        ).all():
            added += await _remind(session, event, "eve")
    for event in (
        await session.exec(
            select(PartyEvent).where(
                col(PartyEvent.status) == EventStatus.scheduled,
                col(PartyEvent.starts_at) > now,
                col(PartyEvent.starts_at) <= now + timedelta(hours=1),
            )
        )
    ).all():
        added += await _remind(session, event, "hour")
    return added

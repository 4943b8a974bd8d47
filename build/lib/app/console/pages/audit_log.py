"""The audit log: filtered by who acted, the kind of action and the days, each entry with its
before and after."""

from datetime import date, datetime, timedelta

from fastapi import Request
from fastapi.responses import Response

from app.china_time import CHINA
from app.console.deps import ConsoleUser, console_router, row_id
from app.console.render import page
from app.deps import SessionDep
from app.services import audit, roster

router = console_router()


def _day(text: str | None) -> date | None:
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is not None and 1900 <= day.year <= 2100 else None


@router.get("/audit")
async def audit_log(
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    person_id: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
) -> Response:
    actor = row_id(person_id)
    first, last = _day(since), _day(until)
    found = await audit.list_entries(
        session,
        principal=principal,
        action=(action or "").strip()[:64] or None,
        limit=50,
        cursor=cursor,
        actor_person_id=actor,
        since=None if first is None else _start(first),
        until=None if last is None else _start(last + timedelta(days=1)),
    )
    names = await roster.names_of(session, (e.actor_person_id for e in found.items))
    entries = [
        {
            "e": e,
            "actor": names.get(e.actor_person_id or 0, "系统" if e.actor_person_id is None else ""),
        }
        for e in found.items
    ]
    return page(
        request,
        "audit.html",
        {
            "active": "audit",
            "entries": entries,
            "next_cursor": found.next_cursor,
            "filters": {
                "person_id": person_id or "",
                "action": action or "",
                "since": since or "",
                "until": until or "",
            },
        },
    )


def _start(day: date) -> datetime:
    """The start of a China day (the log's times are stored in UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA)

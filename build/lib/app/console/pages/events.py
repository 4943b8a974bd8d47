"""主题党日 and 三会一课: the month's calendar, a new event with its venue, agenda and invited
branches, the A4 poster, the live attendance board and the attendance paper."""

import calendar
from datetime import date

from fastapi import Request
from fastapi.responses import Response

from app.china_time import CHINA, parse_period, utcnow
from app.console.actions import Unfit, span, submitted, texts
from app.console.deps import (
    CheckedForm,
    ConsoleUser,
    console_router,
    new_once,
    row_id,
    row_ids,
)
from app.console.render import page, this_month_or
from app.deps import CacheDep, QrSettingsDep, SessionDep, SettingsDep, WechatDep
from app.models.events import KIND_TITLES, Agenda, EventCreate, EventKind, Venue
from app.models.roster import Branch
from app.routers.common import RowId, printable, spreadsheet
from app.services import audit, roster
from app.services.events import attendance, events, groups, minutes, papers, posters

router = console_router()


def _weeks(month: str) -> list[list[date | None]]:
    year, number = (int(p) for p in month.split("-"))
    return [
        [d if d.month == number else None for d in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, number)
    ]


def _shift(month: str, by: int) -> str:
    year, number = (int(p) for p in month.split("-"))
    index = year * 12 + number - 1 + by
    return f"{index // 12}-{index % 12 + 1:02d}"


async def _branches(session: SessionDep, principal: ConsoleUser) -> list[Branch]:
    found = await roster.list_in_scope(
        session, principal=principal, model=Branch, limit=100, cursor=None
    )
    return list(found.items)


@router.get("/events")
async def month(
    request: Request, principal: ConsoleUser, session: SessionDep, month: str | None = None
) -> Response:
    shown = this_month_or(month)
    start, end = parse_period(shown)
    found = await events.events_between(session, principal=principal, start=start, end=end)
    by_day: dict[date, list[object]] = {}
    for event in found:
        by_day.setdefault(event.starts_at.astimezone(CHINA).date(), []).append(event)
    names = {b.id: b.name for b in await _branches(session, principal)}
    return page(
        request,
        "events.html",
        {
            "active": "events",
            "month": shown,
            "previous": _shift(shown, -1),
            "next": _shift(shown, 1),
            "weeks": _weeks(shown),
            "by_day": by_day,
            "branch_names": names,
            "count": len(found),
        },
    )


@router.get("/events/new")
async def new_event(
    request: Request, principal: ConsoleUser, session: SessionDep, day: str | None = None
) -> Response:
    branches = await _branches(session, principal)
    return page(
        request,
        "event_new.html",
        {
            "active": "events",
            "branches": branches,
            "branch_names": {b.id: b.name for b in branches},
            "groups": await groups.list_groups(session, principal=principal, branch_id=None),
            "kinds": [(k.value, KIND_TITLES[k]) for k in EventKind],
            "day": day or "",
            "once": new_once,
            "error": request.query_params.get("error"),
        },
    )


def _event_of(form: CheckedForm) -> EventCreate:
    text = texts(form)
    starts, ends = span(text)
    venue = None
    if text.get("lat") and text.get("lng"):
        try:
            lat, lng = float(text["lat"]), float(text["lng"])
        except ValueError as exc:
            raise ValueError("会场的纬度、经度须为数字。") from exc
        venue = Venue(
            lat=lat,
            lng=lng,
            radius_m=int(text.get("radius_m") or 200)
            if text.get("radius_m", "").isdigit()
            else 200,
            name=text.get("venue_name") or None,
        )
    items = [line.strip() for line in text.get("agenda", "").splitlines() if line.strip()]
    invited = [i for i in map(row_id, form.getlist("invited")) if i is not None]
    if text.get("kind") not in {k.value for k in EventKind}:
        raise Unfit("请选择活动类型。")
    return EventCreate(
        branch_id=row_id(text.get("branch_id")) or 0,
        kind=EventKind(text["kind"]),
        title=text.get("title", ""),
        theme=text.get("theme") or None,
        agenda=Agenda(items=items),
        starts_at=starts,
        ends_at=ends,
        venue=venue,
        invited_branch_ids=invited,
        party_group_id=row_id(text.get("party_group_id")),
        recorder_id=row_id(text.get("recorder_id")),
        invitee_ids=row_ids(text.get("invitee_ids", "")),
    )


@router.post("/events")
async def create(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/events/new",
        parse=lambda: _event_of(form),
        write=lambda data: events.create_event(session, principal=principal, data=data),
        done="活动已建好。",
        then=lambda made: f"/console/events/{made.id}",
    )


@router.get("/events/{event_id}")
async def event(
    request: Request, event_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    shown = await events.event_in_scope(session, principal=principal, event_id=event_id)
    board = await attendance.event_report(session, principal=principal, event_id=event_id)
    names = {b.id: b.name for b in await _branches(session, principal)}
    record = await minutes.history(session, principal=principal, event_id=event_id)
    trail = await audit.list_entries(
        session,
        principal=principal,
        action="event.",
        limit=20,
        cursor=None,
        target=("event", str(event_id)),
    )
    now = utcnow()
    people = {p for v in record.versions for p in (v.filed_by, v.returned_by)}
    return page(
        request,
        "event.html",
        {
            "active": "events",
            "e": shown,
            "board": board,
            "branch_names": names,
            "minutes": record,
            "trail": [e for e in trail.items if e.action != "event.create"],
            "names": await roster.names_of(session, people),
            "before_start": now < shown.starts_at and shown.status == "scheduled",
            "ended": now >= shown.ends_at and shown.status == "scheduled",
            "once": new_once,
            "agenda_lines": _agenda_lines(shown.agenda),
        },
    )


def _agenda_lines(agenda: dict[str, object]) -> str:
    items = agenda.get("items")
    return "\n".join(str(i) for i in items) if isinstance(items, list) else ""


@router.get("/events/{event_id}/board")
async def live_board(
    request: Request, event_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    """The attendance board alone, for the page to fetch again every few seconds."""
    board = await attendance.event_report(session, principal=principal, event_id=event_id)
    return page(request, "event_board.html", {"board": board, "event_id": event_id})


@router.get("/events/{event_id}/poster")
async def poster(
    event_id: RowId,
    principal: ConsoleUser,
    session: SessionDep,
    qr: QrSettingsDep,
    wechat: WechatDep,
    settings: SettingsDep,
    format: str = "pdf",
) -> Response:
    as_pdf = format != "png"
    data = await posters.poster(
        session,
        principal=principal,
        event_id=event_id,
        qr=qr,
        wechat=wechat,
        font=settings.cjk_font,
        as_pdf=as_pdf,
    )
    return printable(data, pdf=as_pdf, name="活动海报", ascii_name=f"poster-{event_id}")


@router.get("/events/{event_id}/attendance.xlsx")
async def attendance_paper(
    event_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    return spreadsheet(
        await papers.attendance_paper(session, principal=principal, event_id=event_id)
    )

"""Notices: write one to the admin's scope (a village, a branch, or Party members only),
preview it, send it, and see how far each channel reached."""

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.console.actions import said, submitted
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.render import page
from app.deps import CacheDep, SessionDep
from app.models.notifications import Audience, NoticeCreate
from app.models.roster import Branch, Village
from app.routers.common import RowId
from app.services import roster
from app.services.notifications import notices

router = console_router()


async def _places(session: SessionDep, principal: ConsoleUser) -> dict[str, list[object]]:
    villages = await roster.list_in_scope(
        session, principal=principal, model=Village, limit=100, cursor=None
    )
    branches = await roster.list_in_scope(
        session, principal=principal, model=Branch, limit=100, cursor=None
    )
    return {"villages": list(villages.items), "branches": list(branches.items)}


def _notice_of(form: CheckedForm) -> NoticeCreate:
    where = str(form.get("audience") or "")
    kind, _, number = where.partition(":")
    place = row_id(number)
    audience = Audience()
    if place is not None and kind == "village":
        audience = Audience(village_id=place)
    elif place is not None and kind == "branch":
        audience = Audience(branch_id=place)
    return NoticeCreate(
        title=str(form.get("title") or "").strip(),
        body=str(form.get("body") or "").strip(),
        audience=audience,
        party_members_only=form.get("party_members_only") == "on",
    )


@router.get("/notices")
async def notice_form(request: Request, principal: ConsoleUser, session: SessionDep) -> Response:
    return page(
        request,
        "notices.html",
        {"active": "notices", "once": new_once, **await _places(session, principal)},
    )


@router.post("/notices/preview")
async def preview(request: Request, principal: ConsoleUser, form: CheckedForm) -> Response:
    """What the villager will read, before anything is sent (nothing is written)."""
    try:
        notice = _notice_of(form)
    except ValidationError as error:
        return page(request, "notice_preview.html", {"error": said(error)})
    return page(request, "notice_preview.html", {"notice": notice})


@router.post("/notices")
async def send(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/notices",
        parse=lambda: _notice_of(form),
        write=lambda data: notices.send_notice(session, principal=principal, data=data),
        done="已发送。",
        then=lambda sent: f"/console/notices/{sent.id}",
    )


@router.get("/notices/{notice_id}")
async def sent_notice(
    request: Request, notice_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    shown = await notices.notice_in_scope(session, principal=principal, notice_id=notice_id)
    return page(request, "notice_sent.html", {"active": "notices", "n": shown})

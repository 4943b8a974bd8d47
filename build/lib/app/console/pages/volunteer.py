"""志愿服务: activities published and listed, the organiser's rotating sign-in and sign-out
codes on the office screen, the records confirmed or rejected together, and a volunteer's
certificate printed at the office."""

import time

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import span, submitted, texts
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.render import back, page
from app.deps import CacheDep, QrSettingsDep, SessionDep, SettingsDep
from app.models.volunteer import ActivityCreate, ScanKind
from app.routers.common import RowId, printable, qr_image
from app.services import roster, volunteer

router = console_router()


@router.get("/volunteer")
async def activities(
    request: Request, principal: ConsoleUser, session: SessionDep, cursor: str | None = None
) -> Response:
    found = await volunteer.list_activities(session, principal=principal, limit=30, cursor=cursor)
    return page(
        request,
        "volunteer.html",
        {
            "active": "volunteer",
            "activities": found.items,
            "next_cursor": found.next_cursor,
            "once": new_once,
        },
    )


def _activity_of(form: CheckedForm) -> ActivityCreate:
    text = texts(form)
    starts, ends = span(text)
    return ActivityCreate(
        title=text.get("title", ""),
        category=text.get("category") or "其他",
        starts_at=starts,
        ends_at=ends,
        capacity=row_id(text.get("capacity")),
    )


@router.post("/volunteer")
async def publish(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/volunteer",
        parse=lambda: _activity_of(form),
        write=lambda data: volunteer.create_activity(session, principal=principal, data=data),
        done="活动已发布。",
        then=lambda made: f"/console/volunteer/{made.id}",
    )


@router.get("/volunteer/{activity_id}")
async def activity(
    request: Request, activity_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    shown = await volunteer.organised(session, principal=principal, activity_id=activity_id)
    found = await volunteer.records(
        session, principal=principal, activity_id=activity_id, limit=100, cursor=None
    )
    items = found.items
    names = await roster.names_of(session, (r.person_id for r in items))
    return page(
        request,
        "volunteer_activity.html",
        {"active": "volunteer", "a": shown, "records": items, "names": names, "once": new_once},
    )


@router.get("/volunteer/{activity_id}/code")
async def code_screen(
    request: Request,
    activity_id: RowId,
    principal: ConsoleUser,
    session: SessionDep,
    qr: QrSettingsDep,
    kind: ScanKind = ScanKind.sign_in,
) -> Response:
    """The organiser's screen: the rotating code, fetched again before it goes stale."""
    shown = await volunteer.organised(session, principal=principal, activity_id=activity_id)
    partial = request.headers.get("HX-Request") == "true"
    return page(
        request,
        "volunteer_code_img.html" if partial else "volunteer_code.html",
        {
            "active": "volunteer",
            "a": shown,
            "kind": kind,
            "moment": int(time.time()),
            "refresh": max(2, qr.rotate_seconds // 2),
        },
    )


@router.get("/volunteer/{activity_id}/code.png")
async def code_image(
    activity_id: RowId,
    principal: ConsoleUser,
    session: SessionDep,
    qr: QrSettingsDep,
    kind: ScanKind = ScanKind.sign_in,
) -> Response:
    shown = await volunteer.organised(session, principal=principal, activity_id=activity_id)
    token, _ = volunteer.current_token(shown, kind, qr=qr)
    return Response(qr_image(token, "png"), media_type="image/png")


@router.post("/volunteer/{activity_id}/records")
async def decide_records(
    activity_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    here = f"/console/volunteer/{activity_id}"
    ids = [i for i in map(row_id, form.getlist("ids")) if i is not None][:500]
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "").strip()[:500] or None
    if not ids or decision not in ("confirm", "reject"):
        return back(here, error="请先勾选记录。")
    if decision == "reject" and not note:
        return back(here, error="驳回须写明理由。")

    async def write(_: None) -> object:
        if decision == "confirm":
            return await volunteer.confirm(
                session, principal=principal, activity_id=activity_id, record_ids=ids
            )
        return await volunteer.reject(
            session, principal=principal, activity_id=activity_id, record_ids=ids, note=note
        )

    told = f"已{'确认' if decision == 'confirm' else '驳回'} {len(ids)} 条记录。"
    return await submitted(
        session, cache, principal, form, here=here, parse=lambda: None, write=write, done=told
    )


@router.get("/volunteer/certificate/{person_id}.png")
async def certificate(
    person_id: RowId, principal: ConsoleUser, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await volunteer.view.certificate_of(
        session,
        principal=principal,
        person_id=person_id,
        date_from=None,
        date_to=None,
        font=settings.cjk_font,
    )
    return printable(data, pdf=False, name="志愿服务证明", ascii_name=f"certificate-{person_id}")

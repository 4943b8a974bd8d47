"""Party life records in the console: changing or cancelling an event before it starts, its
minutes written and read on its page, the town's review list, and a branch's Party groups."""

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import Unfit, span, submitted, texts
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id, row_ids
from app.console.render import page
from app.deps import CacheDep, SessionDep, StorageDep
from app.models.events import Agenda, EventCancel, EventUpdate, Venue
from app.models.party_life import MinutesCreate, MinutesReturn, PartyGroupCreate
from app.models.roster import Branch
from app.routers.common import RowId
from app.services import roster
from app.services.events import changes, groups, minutes

router = console_router()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _update_of(form: CheckedForm) -> EventUpdate:
    text = texts(form)
    starts, ends = span(text)
    venue = None
    if text.get("lat") and text.get("lng"):
        try:
            lat, lng = float(text["lat"]), float(text["lng"])
        except ValueError as exc:
            raise Unfit("会场的纬度、经度须为数字。") from exc
        radius = text.get("radius_m", "")
        venue = Venue(
            lat=lat,
            lng=lng,
            radius_m=int(radius) if radius.isdigit() else 200,
            name=text.get("venue_name") or None,
        )
    return EventUpdate(
        title=text.get("title") or None,
        starts_at=starts,
        ends_at=ends,
        venue=venue,
        agenda=Agenda(items=_lines(text.get("agenda", ""))),
    )


@router.post("/events/{event_id}/change")
async def change(
    event_id: RowId, principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/events/{event_id}",
        parse=lambda: _update_of(form),
        write=lambda data: changes.update_event(
            session, principal=principal, event_id=event_id, data=data
        ),
        done="活动已修改，应到人员会收到变更通知。",
    )


@router.post("/events/{event_id}/cancel")
async def cancel(
    event_id: RowId, principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/events/{event_id}",
        parse=lambda: EventCancel(reason=texts(form).get("reason", "")),
        write=lambda data: changes.cancel_event(
            session, principal=principal, event_id=event_id, reason=data.reason
        ),
        done="活动已取消，应到人员会收到通知。",
    )


def _minutes_of(form: CheckedForm) -> MinutesCreate:
    text = texts(form)
    present = [i for i in map(row_id, form.getlist("present")) if i is not None]
    return MinutesCreate(
        topics=_lines(text.get("topics", "")),
        content=text.get("content", ""),
        decisions=_lines(text.get("decisions", "")),
        present_ids=present if text.get("confirm_present") else None,
    )


@router.post("/events/{event_id}/minutes")
async def file_minutes(
    event_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
    storage: StorageDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/events/{event_id}",
        parse=lambda: _minutes_of(form),
        write=lambda data: minutes.file(
            session, principal=principal, event_id=event_id, data=data, storage=storage
        ),
        done=lambda _: "会议记录已提交。",
    )


@router.post("/events/{event_id}/minutes/return")
async def return_minutes(
    event_id: RowId, principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/events/{event_id}",
        parse=lambda: MinutesReturn(reason=texts(form).get("reason", "")),
        write=lambda data: minutes.send_back(
            session, principal=principal, event_id=event_id, reason=data.reason
        ),
        done="会议记录已退回，记录人会收到通知。",
    )


@router.get("/minutes")
async def review_list(
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    returned: str | None = None,
    cursor: str | None = None,
) -> Response:
    only = {"yes": True, "no": False}.get(returned or "")
    found = await minutes.to_review(
        session, principal=principal, returned=only, limit=50, cursor=cursor
    )
    branches = await roster.list_in_scope(
        session, principal=principal, model=Branch, limit=100, cursor=None
    )
    return page(
        request,
        "minutes.html",
        {
            "active": "events",
            "items": found.items,
            "next_cursor": found.next_cursor,
            "returned": returned or "",
            "branch_names": {b.id: b.name for b in branches.items},
        },
    )


@router.get("/party-groups")
async def party_groups(request: Request, principal: ConsoleUser, session: SessionDep) -> Response:
    branches = (
        await roster.list_in_scope(
            session, principal=principal, model=Branch, limit=100, cursor=None
        )
    ).items
    found = await groups.list_groups(session, principal=principal, branch_id=None)
    people = {p for g in found for p in (g.leader_id, *g.member_ids)}
    return page(
        request,
        "party_groups.html",
        {
            "active": "events",
            "branches": branches,
            "groups": found,
            "names": await roster.names_of(session, people),
            "once": new_once,
        },
    )


def _group_of(form: CheckedForm) -> PartyGroupCreate:
    text = texts(form)
    leader = row_id(text.get("leader_id"))
    if leader is None:
        raise Unfit("请填写党小组长的人员编号。")
    members = row_ids(text.get("member_ids", ""))
    return PartyGroupCreate(
        branch_id=row_id(text.get("branch_id")) or 0,
        name=text.get("name", ""),
        leader_id=leader,
        member_ids=members,
    )


@router.post("/party-groups")
async def new_group(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/party-groups",
        parse=lambda: _group_of(form),
        write=lambda data: groups.create_group(session, principal=principal, data=data),
        done=lambda data: f"党小组“{data.name}”已建好。",
    )

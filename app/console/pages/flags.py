"""监督预警: the supervision committee's queue (and the town's), each flag with the rows behind
it in plain lines and its photos, to be dismissed with a reason or turned into an objection
the village must answer."""

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import submitted, texts
from app.console.deps import CheckedForm, FlagUser, console_router, new_once
from app.console.render import page
from app.deps import CacheDep, SessionDep, StorageDep
from app.models.flags import KIND_WORDS, FlagDismiss, FlagEscalate, FlagStatus
from app.models.roster import Village
from app.routers.common import FilterId, RowId
from app.services import roster
from app.services.warnings import evidence, queue

router = console_router()
HERE = "/console/flags"


@router.get("/flags")
async def flags_page(
    request: Request,
    principal: FlagUser,
    session: SessionDep,
    storage: StorageDep,
    status: FlagStatus | None = FlagStatus.open,
    village_id: FilterId = None,
) -> Response:
    found = await queue.listing(
        session, principal=principal, village_id=village_id, status=status, limit=50, cursor=None
    )
    # A town's organiser reads every village's flags: each says which village, and can be picked.
    villages = (
        await roster.list_in_scope(
            session, principal=principal, model=Village, limit=100, cursor=None
        )
    ).items
    return page(
        request,
        "flags.html",
        {
            "active": "flags",
            "items": found.items,
            "more": found.next_cursor is not None,
            "shown": await evidence.explain(session, found.items, storage),
            "kinds": KIND_WORDS,
            "status": status,
            "villages": villages,
            "village_names": {v.id: v.name for v in villages},
            "village_id": village_id,
            "once": new_once,
        },
    )


@router.post("/flags/{flag_id}/dismiss")
async def dismiss(
    flag_id: RowId, principal: FlagUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=HERE,
        parse=lambda: FlagDismiss(reason=texts(form).get("reason", "")),
        write=lambda data: queue.dismiss(session, principal=principal, flag_id=flag_id, data=data),
        done="已排除，理由已记入日志。",
    )


@router.post("/flags/{flag_id}/escalate")
async def escalate(
    flag_id: RowId, principal: FlagUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=HERE,
        parse=lambda: FlagEscalate(note=texts(form).get("note") or None),
        write=lambda data: queue.escalate(session, principal=principal, flag_id=flag_id, data=data),
        done="已转为监督意见，村里须答复。",
    )

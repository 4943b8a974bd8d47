"""The queues: each a table with its evidence and the API's decisions, one item at a time or,
for points, several together. Decisions made here are the API's: the same service call, the
same audit entry."""

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import Refused, act, submitted
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.queues import QUEUES, Queue, decide_points_together, with_counts
from app.console.render import back, page
from app.deps import CacheDep, SessionDep, StorageDep
from app.errors import NotFound
from app.routers.common import RowId
from app.services import dashboard

router = console_router()


class QueueNotFound(NotFound):
    code = "console.queue_not_found"
    detail = "没有这个待办事项。"


def _queue(slug: str) -> Queue:
    queue = QUEUES.get(slug)
    if queue is None:
        raise QueueNotFound()
    return queue


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("/queues")
async def all_queues(request: Request, principal: ConsoleUser, session: SessionDep) -> Response:
    counts = await dashboard.queue_counts(session, principal=principal)
    return page(
        request,
        "queues.html",
        {"active": "queues", "queues": with_counts(counts)},
    )


@router.get("/queues/{slug}")
async def one_queue(
    request: Request,
    slug: str,
    principal: ConsoleUser,
    session: SessionDep,
    storage: StorageDep,
    cursor: str | None = None,
) -> Response:
    queue = _queue(slug)
    rows, next_cursor = await queue.rows(session, principal, storage, cursor)
    return page(
        request,
        "queue.html",
        {
            "active": "queues",
            "queue": queue,
            "rows": rows,
            "next_cursor": next_cursor,
            "once": new_once,
            "error": request.query_params.get("error"),
        },
    )


def _answer_row(
    request: Request,
    queue: Queue,
    item_id: int,
    *,
    done: str | None,
    error: str | None,
) -> Response:
    return page(
        request,
        "queue_row_result.html",
        {"queue": queue, "item_id": item_id, "done": done, "error": error, "once": new_once},
    )


@router.post("/queues/points/together")
async def decide_together(
    request: Request,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "").strip() or None
    ids = [i for i in map(row_id, form.getlist("ids")) if i is not None][:200]
    target = "/console/queues/points"
    if not ids or decision not in ("approve", "reject"):
        return back(target, error="请先勾选要审核的积分。")
    label = "通过" if decision == "approve" else "驳回"
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=target,
        parse=lambda: None,
        write=lambda _: decide_points_together(session, principal, ids, decision, note),
        done=f"已{label} {len(ids)} 条。",
    )


@router.post("/queues/{slug}/{item_id}")
async def decide_one(
    request: Request,
    slug: str,
    item_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    queue = _queue(slug)
    decision = str(form.get("decision") or "")
    note = str(form.get("note") or "").strip() or None
    choice = next((c for c in queue.choices if c.value == decision), None)
    error: str | None = None
    if choice is None:
        error = "请选择一个处理结果。"
    elif choice.needs_note and not note:
        error = f"“{choice.label}”须写明理由。"
    else:
        try:
            await act(
                session,
                cache,
                principal,
                form,
                lambda: queue.decide(session, principal, item_id, decision, note),
            )
        except Refused as refused:
            error = refused.detail
    if _is_htmx(request):
        # htmx swaps only 2xx answers by default: the row with its message comes back as 200,
        # and the message says what happened.
        done = None if error else choice.label if choice else None
        return _answer_row(request, queue, item_id, done=done, error=error)
    if error:
        return back(f"/console/queues/{slug}", error=error)
    assert choice is not None
    return back(f"/console/queues/{slug}", done=f"已{choice.label}。")

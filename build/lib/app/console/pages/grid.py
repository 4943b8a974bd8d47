"""网格: the task board by status, a task with its photos before and after side by side and the
API's next moves (accept, start, resolve, close, reject, reopen), a task dispatched to a grid
worker, and the households of a grid."""

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import Unfit, submitted, texts
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id
from app.console.render import page
from app.deps import CacheDep, SessionDep, StorageDep
from app.models.grid import (
    CATEGORY_TITLES,
    TaskAction,
    TaskCategory,
    TaskCreate,
    TaskOrigin,
    TaskStatus,
    TransitionCreate,
)
from app.models.roster import Grid
from app.routers.common import RowId
from app.services import grid, roster

router = console_router()

BOARD = (TaskStatus.reported, TaskStatus.accepted, TaskStatus.in_progress, TaskStatus.resolved)


def moves(status: TaskStatus) -> list[tuple[str, str]]:
    """The moves the state machine allows from here, but resolving: that needs the after
    photo, which the grid worker takes on the spot with the phone."""
    return [
        (action.value, grid.flow.ACTION_TITLES[action])
        for action in TaskAction
        if action is not TaskAction.resolve and grid.flow.next_status(status, action) is not None
    ]


@router.get("/grid")
async def board(
    request: Request, principal: ConsoleUser, session: SessionDep, storage: StorageDep
) -> Response:
    columns = []
    for status in BOARD:
        found = await grid.tasks.list_tasks(
            session,
            principal=principal,
            status=status,
            grid_id=None,
            village_id=None,
            category=None,
            overdue=None,
            limit=50,
            cursor=None,
        )
        columns.append((status, await grid.views.present(session, list(found.items), storage)))
    grids = await roster.list_in_scope(
        session, principal=principal, model=Grid, limit=100, cursor=None
    )
    scores = await grid.recent_scores(session, principal=principal, storage=storage, limit=30)
    names = await roster.names_of(session, (s.score.scorer_person_id for s in scores))
    return page(
        request,
        "grid.html",
        {
            "active": "grid",
            "columns": columns,
            "scores": scores,
            "scorers": names,
            "grids": grids.items,
            "categories": [(c.value, CATEGORY_TITLES[c]) for c in TaskCategory],
            "once": new_once,
        },
    )


@router.get("/grid/tasks/{task_id}")
async def task(
    request: Request,
    task_id: RowId,
    principal: ConsoleUser,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    found = await grid.tasks.get_task(session, principal=principal, task_id=task_id)
    [shown] = await grid.views.present(session, [found], storage, with_transitions=True)
    after = [m for t in shown.transitions or [] if t.action == "resolve" for m in t.media]
    names = await roster.names_of(
        session,
        [shown.reporter_person_id, shown.assignee_person_id]
        + [t.actor_person_id for t in shown.transitions or []],
    )
    return page(
        request,
        "grid_task.html",
        {
            "active": "grid",
            "t": shown,
            "after": after,
            "names": names,
            "moves": moves(shown.status),
            "once": new_once,
        },
    )


@router.post("/grid/tasks/{task_id}")
async def move(
    task_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/grid/tasks/{task_id}",
        parse=lambda: _transition_of(form),
        write=lambda data: grid.tasks.transition(
            session, principal=principal, task_id=task_id, data=data
        ),
        done="已办理。",
    )


def _transition_of(form: CheckedForm) -> TransitionCreate:
    action = str(form.get("action") or "")
    if action not in {a.value for a in TaskAction}:
        raise Unfit("请选择一个操作。")
    return TransitionCreate(
        action=TaskAction(action), note=str(form.get("note") or "").strip() or None
    )


def _dispatch_of(form: CheckedForm) -> TaskCreate:
    text = texts(form)
    if text.get("category") not in {c.value for c in TaskCategory}:
        raise Unfit("请选择事件类别。")
    return TaskCreate(
        category=TaskCategory(text["category"]),
        title=text.get("title", ""),
        description=text.get("description", ""),
        origin=TaskOrigin.assigned,
        grid_id=row_id(text.get("grid_id")),
        assignee_person_id=row_id(text.get("assignee_person_id")),
    )


@router.post("/grid/tasks")
async def dispatch(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here="/console/grid",
        parse=lambda: _dispatch_of(form),
        write=lambda data: grid.tasks.create_task(session, principal=principal, data=data),
        done="已派单。",
        then=lambda made: f"/console/grid/tasks/{made.id}",
    )

"""Grid tasks: reporting, assigning, moving through the state machine, listing by scope."""

from datetime import timedelta
from typing import Any

from sqlalchemy import and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.base import id_of
from app.models.grid import (
    GridTask,
    GridTaskTransition,
    TaskAction,
    TaskCategory,
    TaskCreate,
    TaskOrigin,
    TaskStatus,
    TransitionCreate,
)
from app.models.media import Media
from app.models.notifications import NotificationKind
from app.models.roster import ADMIN_ROLES, Grid, Role, RoleGrant, ScopeType, Town
from app.services import audit
from app.services.grid import evidence
from app.services.grid import flow as grid_flow
from app.services.identity import Principal, acts_for, covers, location_of, scope_clause
from app.services.kit import Page, geo, keyset_page
from app.services.notifications import notify
from app.services.warnings import flags


class ActionForbidden(Forbidden):
    code = "grid.action_forbidden"
    detail = "只有村（镇）管理员可以派单。"


class AfterPhotoRequired(Unprocessable):
    code = "grid.after_photo_required"
    detail = "办结须上传处理后的现场照片。"


class AssigneeInvalid(Unprocessable):
    code = "grid.assignee_invalid"
    detail = "派单对象不是该网格的网格员。"


class GridNotFound(NotFound):
    code = "grid.not_found"
    detail = "找不到该网格。"


class GridRequired(Unprocessable):
    code = "grid.grid_required"
    detail = "请填写派单到哪个网格（grid_id）。"


class PhotoRequired(Unprocessable):
    code = "grid.photo_required"
    detail = "上报须附 1 到 9 张现场照片。"


WORKER_ROLES = frozenset({Role.grid_worker})
TASK_ROLES = ADMIN_ROLES | WORKER_ROLES


class TaskNotFound(NotFound):
    code, detail = "grid.task_not_found", "找不到该网格任务。"


class InvalidTransition(Conflict):
    code, detail = "grid.invalid_transition", "当前状态不能执行该操作。"


async def _grid_for_report(
    session: AsyncSession, principal: Principal, grid_id: int | None
) -> Grid:
    if grid_id is None:
        mine = {
            g.scope_id
            for g in principal.grants
            if g.role is Role.grid_worker and g.scope_type is ScopeType.grid
        }
        if len(mine) != 1:
            raise GridRequired("请选择上报到哪个网格（grid_id）。")
        grid_id = mine.pop()
    grid = await session.get(Grid, grid_id)
    if grid is None or not covers(principal, location_of(grid), TASK_ROLES):
        raise GridNotFound()
    return grid


async def _only_grid_of(session: AsyncSession, person_id: int) -> int:
    """The grid a grid worker serves, when the job does not name one."""
    grids = (
        await session.exec(
            select(RoleGrant.scope_id).where(
                col(RoleGrant.person_id) == person_id,
                col(RoleGrant.role) == Role.grid_worker,
                col(RoleGrant.scope_type) == ScopeType.grid,
                col(RoleGrant.revoked_at).is_(None),
            )
        )
    ).all()
    if len(set(grids)) != 1 or grids[0] is None:
        raise GridRequired()
    return grids[0]


async def _check_assignee(session: AsyncSession, grid: Grid, person_id: int) -> None:
    """A grid worker of this grid, or of its whole village (live grants only)."""
    if not await acts_for(session, person_id, location_of(grid), [Role.grid_worker]):
        raise AssigneeInvalid()


async def create_task(session: AsyncSession, *, principal: Principal, data: TaskCreate) -> GridTask:
    assigned = data.origin is TaskOrigin.assigned
    if assigned:
        if data.assignee_person_id is None:
            raise AssigneeInvalid("派单须填写网格员 assignee_person_id。")
        grid_id = data.grid_id or await _only_grid_of(session, data.assignee_person_id)
        grid = await session.get(Grid, grid_id)
        if grid is None or not covers(principal, location_of(grid), TASK_ROLES):
            raise GridNotFound()
        if not covers(principal, location_of(grid)):
            raise ActionForbidden()
        await _check_assignee(session, grid, data.assignee_person_id)
    else:
        grid = await _grid_for_report(session, principal, data.grid_id)
        if not data.media_ids:
            raise PhotoRequired()
    photos = await evidence.own_photos(session, principal=principal, media_ids=data.media_ids)
    town = await session.get(Town, grid.town_id)
    hours = (town.grid_due_hours if town else {}).get(data.priority.value, 72)
    lat, lng = (
        geo.to_gcj02(data.lat, data.lng, data.coord_type)
        if data.lat is not None and data.lng is not None
        else (None, None)
    )
    now = utcnow()
    found = await evidence.resemblances(session, village_id=grid.village_id, photos=photos)
    task = GridTask(
        town_id=grid.town_id,
        village_id=grid.village_id,
        grid_id=id_of(grid),
        origin=data.origin,
        category=data.category,
        title=data.title,
        description=data.description,
        lat=lat,
        lng=lng,
        priority=data.priority,
        due_at=now + timedelta(hours=hours),
        # An admin's job is accepted as it is given; a report waits for the village to take it.
        status=TaskStatus.accepted if assigned else TaskStatus.reported,
        reporter_person_id=principal.person_id,
        assignee_person_id=data.assignee_person_id if assigned else principal.person_id,
        media_ids=[id_of(p) for p in photos],
        resembles=found,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    await session.flush()
    assert task.id is not None
    _step(session, principal, task, data.origin.value, None, photos, None)
    evidence.record_uses(
        session,
        village_id=grid.village_id,
        photos=photos,
        record_type="grid_task",
        record_id=task.id,
    )
    await flags.photo_reused(
        session,
        town_id=grid.town_id,
        village_id=grid.village_id,
        record_type="grid_task",
        record_id=task.id,
        found=found,
    )
    await audit.record(
        session,
        actor=principal,
        action=f"grid_task.{data.origin.value}",
        target_type="grid_task",
        target_id=task.id,
        where=location_of(task),
        after={"title": task.title, "status": task.status, "needs_review": bool(task.resembles)},
    )
    if assigned and data.assignee_person_id is not None:
        await notify(
            session,
            people=[data.assignee_person_id],
            kind=NotificationKind.grid_task_assigned,
            target=("grid_task", task.id),
            title="新派单",
            body=f"{task.title}（请于 {to_china(task.due_at):%m月%d日 %H:%M} 前办结）",
            values={"name": task.title, "time": task.due_at, "note": task.description},
        )
    return task


def _step(
    session: AsyncSession,
    principal: Principal,
    task: GridTask,
    action: str,
    before: TaskStatus | None,
    photos: list[Media],
    note: str | None,
) -> None:
    """Keeps one step of the task's history: who did what, from which status, with what."""
    session.add(
        GridTaskTransition(
            task_id=id_of(task),
            action=action,
            from_status=before,
            to_status=task.status,
            actor_account_id=principal.account_id,
            actor_person_id=principal.person_id,
            note=note,
            media_ids=[id_of(p) for p in photos],
            created_at=task.updated_at,
        )
    )


async def _visible(
    session: AsyncSession, principal: Principal, task_id: int, *, lock: bool
) -> GridTask:
    task = await session.get(GridTask, task_id, with_for_update=lock or None)
    if task is None or not covers(principal, location_of(task), TASK_ROLES):
        raise TaskNotFound()
    return task


async def get_task(session: AsyncSession, *, principal: Principal, task_id: int) -> GridTask:
    return await _visible(session, principal, task_id, lock=False)


async def transition(
    session: AsyncSession, *, principal: Principal, task_id: int, data: TransitionCreate
) -> GridTask:
    # The row lock makes a second admin acting at the same moment wait, then find the task
    # already moved: exactly one of them wins, the other gets grid.invalid_transition.
    task = await _visible(session, principal, task_id, lock=True)
    if data.action in grid_flow.ADMIN_ONLY and not covers(principal, location_of(task)):
        raise ActionForbidden(
            f"只有村（镇）管理员可以{grid_flow.ACTION_TITLES[data.action]}网格任务。"
        )
    current = TaskStatus(task.status)
    target = grid_flow.next_status(current, data.action)
    if target is None:
        raise InvalidTransition(
            f"任务{_STATUS_WORDS[current]}，不能{grid_flow.ACTION_TITLES[data.action]}。"
        )
    if data.action is TaskAction.resolve and not data.media_ids:
        raise AfterPhotoRequired()
    photos = await evidence.own_photos(session, principal=principal, media_ids=data.media_ids)
    assert task.id is not None
    found = await evidence.resemblances(
        session, village_id=task.village_id, photos=photos, record=("grid_task", task.id)
    )
    now = utcnow()
    async with audit.change(
        session,
        actor=principal,
        row=task,
        action=f"grid_task.{data.action.value}",
        target_type="grid_task",
        where=location_of,
        picture=_status_picture,
    ) as change:
        before = task.status
        task.status = target
        task.updated_at = now
        if target is TaskStatus.resolved:
            task.resolved_at = now
        elif target is TaskStatus.closed:
            task.closed_at = now
        elif data.action is TaskAction.reopen:
            task.resolved_at = task.closed_at = None
        if found:
            task.resembles = [*task.resembles, *found]
        _step(session, principal, task, data.action.value, before, photos, data.note)
        evidence.record_uses(
            session,
            village_id=task.village_id,
            photos=photos,
            record_type="grid_task",
            record_id=task.id,
        )
        change.extra = {"note": data.note, "needs_review": bool(task.resembles)}
    await flags.photo_reused(
        session,
        town_id=task.town_id,
        village_id=task.village_id,
        record_type="grid_task",
        record_id=task.id,
        found=found,
    )
    return task


def _status_picture(task: GridTask) -> dict[str, Any]:
    return {"status": task.status}


_STATUS_WORDS = {
    TaskStatus.reported: "刚上报、尚未受理",
    TaskStatus.accepted: "已受理、尚未开始",
    TaskStatus.in_progress: "正在办理",
    TaskStatus.resolved: "已办结",
    TaskStatus.closed: "已关闭",
    TaskStatus.rejected: "已驳回",
}


async def list_tasks(
    session: AsyncSession,
    *,
    principal: Principal,
    status: TaskStatus | None,
    grid_id: int | None,
    village_id: int | None,
    category: TaskCategory | None,
    overdue: bool | None,
    limit: int,
    cursor: str | None,
) -> Page[GridTask]:
    stmt: Any = select(GridTask).where(scope_clause(principal, GridTask, TASK_ROLES))
    if status is not None:
        stmt = stmt.where(col(GridTask.status) == status)
    if grid_id is not None:
        stmt = stmt.where(col(GridTask.grid_id) == grid_id)
    if village_id is not None:
        stmt = stmt.where(col(GridTask.village_id) == village_id)
    if category is not None:
        stmt = stmt.where(col(GridTask.category) == category)
    if overdue is not None:
        late = and_(
            col(GridTask.status).in_(list(grid_flow.OPEN)),
            col(GridTask.due_at) < utcnow(),
        )
        stmt = stmt.where(late if overdue else ~late)
    return await keyset_page(
        session,
        stmt,
        order_by=[GridTask.created_at, GridTask.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )

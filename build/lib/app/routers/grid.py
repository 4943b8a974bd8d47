"""Grid tasks, on-site scores and the monthly grid report."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from app.deps import AdminUser, Cursor, GridUser, Limit, SessionDep, StorageDep
from app.models.base import MAX_DB_INT
from app.models.common import ListPage
from app.models.grid import (
    GridReport,
    ScoreCreate,
    ScorePublic,
    TaskCategory,
    TaskCreate,
    TaskPublic,
    TaskStatus,
    TransitionCreate,
)
from app.models.roster import HouseholdPublic
from app.routers.common import XLSX, Month, RowId, spreadsheet
from app.services import roster as roster_service
from app.services.grid import reports as grid_reports
from app.services.grid import scores as grid_scores
from app.services.grid import tasks as grid_service
from app.services.grid import views as grid_views

router = APIRouter(prefix="/api/v1", tags=["网格"])

OptionalId = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


@router.post(
    "/grid/tasks",
    status_code=201,
    response_model=TaskPublic,
    summary="上报网格事件（网格员），或派单（管理员，origin: assigned）",
)
async def create_task(
    body: TaskCreate, principal: GridUser, session: SessionDep, storage: StorageDep
) -> TaskPublic:
    task = await grid_service.create_task(session, principal=principal, data=body)
    [answer] = await grid_views.present(session, [task], storage, with_transitions=True)
    return answer


@router.get("/grid/tasks", response_model=ListPage[TaskPublic], summary="网格任务列表")
async def list_tasks(
    principal: GridUser,
    session: SessionDep,
    storage: StorageDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    status: TaskStatus | None = None,
    grid_id: OptionalId = None,
    village_id: OptionalId = None,
    category: TaskCategory | None = None,
    overdue: bool | None = None,
) -> dict[str, Any]:
    page = await grid_service.list_tasks(
        session,
        principal=principal,
        status=status,
        grid_id=grid_id,
        village_id=village_id,
        category=category,
        overdue=overdue,
        limit=limit,
        cursor=cursor,
    )
    items = await grid_views.present(session, page.items, storage)
    return {"items": items, "next_cursor": page.next_cursor}


@router.get(
    "/grid/tasks/{task_id}", response_model=TaskPublic, summary="网格任务详情（含流转记录）"
)
async def get_task(
    task_id: RowId, principal: GridUser, session: SessionDep, storage: StorageDep
) -> TaskPublic:
    task = await grid_service.get_task(session, principal=principal, task_id=task_id)
    [answer] = await grid_views.present(session, [task], storage, with_transitions=True)
    return answer


@router.post(
    "/grid/tasks/{task_id}/transitions",
    response_model=TaskPublic,
    summary="办理网格任务：受理、开始、办结、关闭、驳回、重新办理",
)
async def transition(
    task_id: RowId,
    body: TransitionCreate,
    principal: GridUser,
    session: SessionDep,
    storage: StorageDep,
) -> TaskPublic:
    task = await grid_service.transition(session, principal=principal, task_id=task_id, data=body)
    [answer] = await grid_views.present(session, [task], storage, with_transitions=True)
    return answer


@router.post(
    "/grid/scores",
    status_code=201,
    response_model=ScorePublic,
    summary="现场打分（按农户积分规则记入农户积分）",
)
async def score(body: ScoreCreate, principal: GridUser, session: SessionDep) -> ScorePublic:
    entry, record = await grid_scores.score(session, principal=principal, data=body)
    return grid_scores.present(entry, record)


@router.get(
    "/admin/grid/reports",
    response_model=GridReport,
    summary="网格治理月报（?format=xlsx 导出表格）",
    responses={200: {"content": {XLSX: {}}}},
)
async def monthly_report(
    principal: AdminUser,
    session: SessionDep,
    period: Month,
    village_id: OptionalId = None,
    grid_id: OptionalId = None,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await grid_reports.report_paper(
                session, principal=principal, period=period, village_id=village_id, grid_id=grid_id
            )
        )
    return await grid_reports.report(
        session, principal=principal, period=period, village_id=village_id, grid_id=grid_id
    )


PlateCode = Annotated[
    str, Path(pattern=r"^[0-9A-Za-z]{6,16}$", description="门牌码上印的码（扫码得到）")
]


@router.get(
    "/households/by-code/{code}",
    response_model=HouseholdPublic,
    summary="扫门牌码找到农户（该户所在网格的网格员），用于现场打分",
)
async def household_by_code(code: PlateCode, principal: GridUser, session: SessionDep) -> Any:
    return await roster_service.plates.household_by_plate(session, principal=principal, code=code)

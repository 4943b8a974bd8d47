"""Early warnings: the town's branches graded month by month with the reasons, and the
supervisors' queue of favouritism flags."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep
from app.models.common import ListPage
from app.models.flags import FlagDismiss, FlagEscalate, FlagPublic, FlagStatus
from app.models.proposals import ObjectionPublic
from app.models.warnings import HealthReport
from app.routers.common import FilterId, RowId, page_answer
from app.services.warnings import health, queue

router = APIRouter(prefix="/api/v1", tags=["预警"])


@router.get(
    "/admin/branch-health",
    response_model=HealthReport,
    summary="各党支部当月的健康等级（绿、黄、红）与原因",
    description="已结束的月份的等级只算一次并保存；没有数据的信号不参与（不算不达标）。",
)
async def branch_health(
    principal: AdminUser,
    session: SessionDep,
    town_id: FilterId = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> Any:
    return await health.report(session, principal=principal, town_id=town_id, period=period)


@router.get(
    "/admin/flags",
    response_model=ListPage[FlagPublic],
    summary="监督预警：村务监督委员会看本村的，镇里看全镇的（新的在前）",
    description="每条预警附有背后的记录（积分记录、照片、兑换），可逐条核对；预警本身不改动任何积分。"
    "村、支部的管理员看不到（预警常常就是关于他们的）。",
)
async def flags_list(
    principal: CurrentUser,
    session: SessionDep,
    village_id: FilterId = None,
    status: FlagStatus | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Any:
    page = await queue.listing(
        session,
        principal=principal,
        village_id=village_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return page_answer(page, FlagPublic)


@router.post(
    "/admin/flags/{flag_id}/dismiss",
    response_model=FlagPublic,
    summary="排除一条监督预警（须写明理由）",
)
async def flag_dismiss(
    flag_id: RowId, body: FlagDismiss, principal: CurrentUser, session: SessionDep
) -> Any:
    return await queue.dismiss(session, principal=principal, flag_id=flag_id, data=body)


@router.post(
    "/admin/flags/{flag_id}/escalate",
    status_code=201,
    response_model=ObjectionPublic,
    summary="把监督预警转为监督意见，由村里答复",
)
async def flag_escalate(
    flag_id: RowId,
    principal: CurrentUser,
    session: SessionDep,
    body: Annotated[FlagEscalate | None, Body()] = None,
) -> Any:
    return await queue.escalate(
        session, principal=principal, flag_id=flag_id, data=body or FlagEscalate()
    )

"""Early warnings: the town's branches graded month by month, with the reasons."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import AdminUser, SessionDep
from app.models.warnings import HealthReport
from app.routers.common import FilterId
from app.services.warnings import health

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

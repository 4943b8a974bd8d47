"""The admin's dashboard (工作台)."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import AdminUser, SessionDep
from app.models.dashboard import Dashboard
from app.routers.common import FilterId
from app.services.dashboard import dashboard as dashboard_service

router = APIRouter(prefix="/api/v1/admin", tags=["管理端·工作台"])

Period = Annotated[
    str | None,
    Query(
        pattern=r"^20\d{2}-(0[1-9]|1[0-2])$",
        description="统计月份，如 2026-11；不填为本月（北京时间）",
        examples=["2026-11"],
    ),
]


@router.get("/dashboard", response_model=Dashboard, summary="工作台：本月数字与待我处理的事项")
async def dashboard(
    principal: AdminUser, session: SessionDep, period: Period = None, village_id: FilterId = None
) -> Dashboard:
    return await dashboard_service(
        session, principal=principal, period=period, village_id=village_id
    )

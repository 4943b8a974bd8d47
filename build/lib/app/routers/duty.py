"""The village office: its duty rota and today's cadres on duty; villagers' service requests,
their handling at the desk, the requester's rating and the monthly report."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep
from app.models.base import Day
from app.models.common import ListPage
from app.models.duty import (
    OnDuty,
    RatingCreate,
    ServiceReport,
    ServiceRequestCreate,
    ServiceRequestPublic,
    ServiceTransition,
    ShiftCreate,
    ShiftPublic,
    ShiftsMade,
)
from app.routers.common import XLSX, FilterId, Month, RowId, page_answer, spreadsheet
from app.services.duty import reports, requests, shifts, views

router = APIRouter(prefix="/api/v1", tags=["坐班值班与代办"])

DeskStatus = Annotated[
    Literal["open", "submitted", "accepted", "done", "declined"] | None,
    Query(description="open：未办结的（已提交或已受理）"),
]


@router.post(
    "/admin/duty-shifts",
    status_code=201,
    response_model=ShiftsMade,
    summary="排班（一天，或 repeat_days 连排一周）；同一人时间重叠的拒绝",
)
async def create_shifts(body: ShiftCreate, principal: AdminUser, session: SessionDep) -> Any:
    made = [
        ShiftPublic.model_validate(s)
        for s in await shifts.create_shifts(session, principal=principal, data=body)
    ]
    return ShiftsMade(**made[0].model_dump(), items=made)


@router.get("/admin/duty-shifts", response_model=ListPage[ShiftPublic], summary="本村排班表")
async def list_shifts(
    principal: AdminUser,
    session: SessionDep,
    village_id: FilterId = None,
    date_from: Day | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await shifts.list_shifts(
        session,
        principal=principal,
        village_id=village_id,
        date_from=date_from,
        limit=limit,
        cursor=cursor,
    )
    return page_answer(page, ShiftPublic)


@router.get(
    "/duty/today", response_model=ListPage[OnDuty], summary="今天谁在村委会值班（及值班电话）"
)
async def duty_today(
    principal: CurrentUser, session: SessionDep, village_id: FilterId = None
) -> dict[str, Any]:
    return {
        "items": await shifts.today(session, principal=principal, village_id=village_id),
        "next_cursor": None,
    }


@router.post(
    "/service-requests",
    status_code=201,
    response_model=ServiceRequestPublic,
    summary="提交代办或诉求（由当时值班的干部办理）",
)
async def file_request(
    body: ServiceRequestCreate, principal: CurrentUser, session: SessionDep
) -> ServiceRequestPublic:
    request = await requests.file_request(session, principal=principal, data=body)
    [answer] = await views.present(session, [request])
    return answer


@router.get(
    "/me/service-requests", response_model=ListPage[ServiceRequestPublic], summary="我的诉求"
)
async def my_requests(
    principal: CurrentUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = await requests.mine(session, principal=principal, limit=limit, cursor=cursor)
    return {"items": await views.present(session, page.items), "next_cursor": page.next_cursor}


@router.get(
    "/service-requests/{request_id}",
    response_model=ServiceRequestPublic,
    summary="诉求详情（本人、办理人和村干部）",
)
async def get_request(
    request_id: RowId, principal: CurrentUser, session: SessionDep
) -> ServiceRequestPublic:
    request = await requests.get_request(session, principal=principal, request_id=request_id)
    [answer] = await views.present(session, [request])
    return answer


@router.post(
    "/service-requests/{request_id}/rating",
    response_model=ServiceRequestPublic,
    summary="办结后评价（1–5 星，只能一次）",
)
async def rate(
    request_id: RowId, body: RatingCreate, principal: CurrentUser, session: SessionDep
) -> ServiceRequestPublic:
    request = await requests.rate(session, principal=principal, request_id=request_id, data=body)
    [answer] = await views.present(session, [request])
    return answer


@router.get(
    "/admin/service-requests",
    response_model=ListPage[ServiceRequestPublic],
    summary="待我办理的诉求（村干部：本村的；值班人员：交给自己的）",
)
async def desk(
    principal: CurrentUser,
    session: SessionDep,
    status: DeskStatus = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await requests.desk(
        session, principal=principal, status=status, limit=limit, cursor=cursor
    )
    return {"items": await views.present(session, page.items), "next_cursor": page.next_cursor}


@router.post(
    "/admin/service-requests/{request_id}/transitions",
    response_model=ServiceRequestPublic,
    summary="受理、办结、不予办理或转交",
)
async def move(
    request_id: RowId, body: ServiceTransition, principal: CurrentUser, session: SessionDep
) -> ServiceRequestPublic:
    request = await requests.transition(
        session, principal=principal, request_id=request_id, data=body
    )
    [answer] = await views.present(session, [request])
    return answer


@router.get(
    "/admin/service-requests/report",
    response_model=ServiceReport,
    summary="本村当月代办服务统计（?format=xlsx 导出）",
    responses={200: {"content": {XLSX: {}}}},
)
async def monthly_report(
    principal: AdminUser,
    session: SessionDep,
    period: Month,
    village_id: FilterId = None,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await reports.report_paper(
                session, principal=principal, period=period, village_id=village_id
            )
        )
    return await reports.report(session, principal=principal, period=period, village_id=village_id)

"""Themed Party days and meetings: events, their rotating QR codes, check-in, leave, attendance."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from app.deps import (
    AdminUser,
    CurrentUser,
    Cursor,
    Limit,
    QrSettingsDep,
    SessionDep,
    SettingsDep,
    WechatDep,
    started,
)
from app.models.base import MAX_DB_INT
from app.models.common import ListPage
from app.models.events import (
    AttendanceReport,
    BranchMonth,
    CheckinCreate,
    CheckinPublic,
    ComplianceReport,
    EventCreate,
    EventPublic,
    LeaveCreate,
    LeaveDecision,
    LeavePublic,
    MemberYear,
    QrToken,
    ReviewCheckin,
    RevokeCheckin,
)
from app.routers.common import (
    XLSX,
    RowId,
    created_or_found,
    page_answer,
    printable,
    rotating_code,
    spreadsheet,
)
from app.services.events import CheckinWriter
from app.services.events import attendance as attendance_service
from app.services.events import checkins as checkin_service
from app.services.events import compliance as compliance_service
from app.services.events import events as event_service
from app.services.events import leave as leave_service
from app.services.events import papers as event_papers
from app.services.events import posters as poster_service
from app.services.events import queues as queue_service

# The domain's group-commit writer (app/db/group_commit.py: Writers starts it on first use).
CheckinWriterDep = Annotated[CheckinWriter, Depends(started(CheckinWriter))]

router = APIRouter(prefix="/api/v1", tags=["主题党日与三会一课"])


@router.post(
    "/admin/events",
    status_code=201,
    response_model=EventPublic,
    summary="新建主题党日或三会一课等活动",
)
async def create_event(body: EventCreate, principal: AdminUser, session: SessionDep) -> Any:
    return await event_service.create_event(session, principal=principal, data=body)


@router.get("/admin/events", response_model=ListPage[EventPublic], summary="活动列表")
async def list_events(
    principal: AdminUser,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    branch_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
) -> dict[str, Any]:
    page = await event_service.list_events(
        session, principal=principal, limit=limit, cursor=cursor, branch_id=branch_id
    )
    return page_answer(page, EventPublic)


@router.get("/events", response_model=ListPage[EventPublic], summary="我应参加的活动")
async def my_events(
    principal: CurrentUser,
    session: SessionDep,
    scope: Annotated[Literal["mine"], Query()] = "mine",
) -> dict[str, Any]:
    items = await event_service.my_events(session, principal=principal)
    return {"items": [EventPublic.model_validate(e) for e in items], "next_cursor": None}


@router.get(
    "/events/{event_id}/qr",
    response_model=QrToken,
    summary="现场大屏的轮换二维码（JSON、PNG 或 SVG）",
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def event_qr(
    event_id: RowId,
    principal: CurrentUser,
    session: SessionDep,
    qr: QrSettingsDep,
    format: Literal["json", "png", "svg"] = "json",
) -> Any:
    event = await event_service.event_for_host(session, principal=principal, event_id=event_id)
    token, expires = event_service.current_token(event, qr=qr)
    return rotating_code(token, expires, qr.rotate_seconds, format)


@router.get(
    "/events/{event_id}/poster",
    summary="张贴用的 A4 海报（标题、时间、地点、主办支部和固定小程序码；仍须现场定位）",
    description="format=png（默认）或 pdf 为整张 A4 海报；format=code 只给码的图片。",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "application/pdf": {}}}},
)
async def event_poster(
    event_id: RowId,
    principal: CurrentUser,
    session: SessionDep,
    qr: QrSettingsDep,
    wechat: WechatDep,
    settings: SettingsDep,
    format: Literal["png", "pdf", "code"] = "png",
) -> Response:
    if format == "code":
        image = await poster_service.poster_code(
            session, principal=principal, event_id=event_id, qr=qr, wechat=wechat
        )
        return Response(
            image, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"}
        )
    data = await poster_service.poster(
        session,
        principal=principal,
        event_id=event_id,
        qr=qr,
        wechat=wechat,
        font=settings.cjk_font,
        as_pdf=format == "pdf",
    )
    return printable(data, pdf=format == "pdf", name="活动海报", ascii_name=f"poster-{event_id}")


@router.post(
    "/events/{event_id}/checkins",
    status_code=201,
    response_model=CheckinPublic,
    summary="扫码签到",
    responses={200: {"model": CheckinPublic, "description": "已签到过，返回原记录"}},
)
async def check_in(
    event_id: RowId,
    body: CheckinCreate,
    principal: CurrentUser,
    qr: QrSettingsDep,
    writer: CheckinWriterDep,
    response: Response,
) -> Any:
    return created_or_found(
        response,
        await checkin_service.check_in(
            writer, principal=principal, event_id=event_id, data=body, qr=qr
        ),
    )


@router.post(
    "/admin/checkins/{checkin_id}/revoke",
    response_model=CheckinPublic,
    summary="撤销一条错误的签到（积分冲正）",
)
async def revoke_checkin(
    checkin_id: RowId, body: RevokeCheckin, principal: AdminUser, session: SessionDep
) -> Any:
    return await checkin_service.revoke(
        session, principal=principal, attendance_id=checkin_id, reason=body.reason
    )


@router.post(
    "/admin/checkins/{checkin_id}/review",
    response_model=CheckinPublic,
    summary="审核离线补传的签到",
)
async def review_checkin(
    checkin_id: RowId, body: ReviewCheckin, principal: AdminUser, session: SessionDep
) -> Any:
    return await checkin_service.review(
        session,
        principal=principal,
        attendance_id=checkin_id,
        accept=body.decision == "accept",
        note=body.note,
    )


@router.post(
    "/events/{event_id}/leave-requests",
    status_code=201,
    response_model=LeavePublic,
    summary="请假",
    responses={200: {"model": LeavePublic, "description": "已请过假"}},
)
async def request_leave(
    event_id: RowId,
    body: LeaveCreate,
    principal: CurrentUser,
    session: SessionDep,
    response: Response,
) -> Any:
    return created_or_found(
        response,
        await leave_service.request_leave(
            session, principal=principal, event_id=event_id, data=body
        ),
    )


@router.get(
    "/admin/leave-requests",
    response_model=ListPage[LeavePublic],
    summary="待我审批的请假（工作台“待审批请假”的那一列）",
)
async def pending_leave(
    principal: AdminUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = await queue_service.pending_leave(
        session, principal=principal, limit=limit, cursor=cursor
    )
    return page_answer(page, LeavePublic)


@router.get(
    "/admin/checkins/pending",
    response_model=ListPage[CheckinPublic],
    summary="待我复核的签到（在会场范围外扫码的）",
)
async def checkins_to_review(
    principal: AdminUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = await queue_service.checkins_to_review(
        session, principal=principal, limit=limit, cursor=cursor
    )
    return page_answer(page, CheckinPublic)


@router.post(
    "/admin/leave-requests/{leave_id}/decision", response_model=LeavePublic, summary="审批请假"
)
async def decide_leave(
    leave_id: RowId, body: LeaveDecision, principal: AdminUser, session: SessionDep
) -> Any:
    return await leave_service.decide(session, principal=principal, leave_id=leave_id, data=body)


@router.get(
    "/admin/events/{event_id}/attendance",
    response_model=AttendanceReport,
    summary="活动考勤（?format=xlsx 导出表格）",
    responses={200: {"content": {XLSX: {}}}},
)
async def event_attendance(
    event_id: RowId,
    principal: AdminUser,
    session: SessionDep,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await event_papers.attendance_paper(session, principal=principal, event_id=event_id)
        )
    return await attendance_service.event_report(session, principal=principal, event_id=event_id)


@router.get(
    "/admin/attendance/members/{person_id}",
    response_model=MemberYear,
    summary="党员全年参加组织生活情况",
)
async def member_year(
    person_id: RowId,
    principal: AdminUser,
    session: SessionDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> MemberYear:
    return await attendance_service.member_year(
        session, principal=principal, person_id=person_id, year=year
    )


@router.get(
    "/admin/events/compliance",
    response_model=ComplianceReport,
    summary="组织生活落实情况（按月 YYYY-MM、按季 YYYY-Qn 或按年 YYYY；?format=xlsx 导出）",
    description="到会至少一人、且会后在本镇规定天数（minutes_due_days，默认 7）内提交会议记录的活动"
    "才算落实；每次活动的 state 为 held、scheduled、minutes_missing、minutes_returned 或 "
    "cancelled。按月：主题党日、支委会、党小组会；按季：党员大会、党课、党校轮训；按年：组织生活会、"
    "民主评议党员。",
    responses={200: {"content": {XLSX: {}}}},
)
async def compliance(
    principal: AdminUser,
    session: SessionDep,
    period: Annotated[str, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$")],
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await event_papers.compliance_paper(session, principal=principal, period=period)
        )
    return await compliance_service.report(session, principal=principal, period=period)


@router.get(
    "/admin/attendance/branches/{branch_id}",
    response_model=BranchMonth,
    summary="党支部当月各次活动的考勤",
)
async def branch_month(
    branch_id: RowId,
    principal: AdminUser,
    session: SessionDep,
    period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
) -> BranchMonth:
    return await attendance_service.branch_month(
        session, principal=principal, branch_id=branch_id, period=period
    )


# After /admin/events/compliance, which this pattern would otherwise swallow.
@router.get("/admin/events/{event_id}", response_model=EventPublic, summary="活动详情")
async def get_event(event_id: RowId, principal: AdminUser, session: SessionDep) -> Any:
    return await event_service.event_in_scope(session, principal=principal, event_id=event_id)

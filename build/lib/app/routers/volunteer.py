"""Volunteer service: activities, their sign-in and sign-out codes, scans, the organiser's
records and confirmation, what volunteers see, and the reports."""

from typing import Any, Literal

from fastapi import APIRouter, Response

from app.deps import (
    DEFAULT_PAGE,
    AdminUser,
    CurrentUser,
    Cursor,
    Limit,
    QrSettingsDep,
    SessionDep,
    SettingsDep,
)
from app.models.base import Day
from app.models.common import ListPage
from app.models.events import QrToken
from app.models.volunteer import (
    ActivityCreate,
    ActivityPublic,
    EnrolmentPublic,
    HandEntry,
    MyVolunteer,
    RecordIds,
    RecordPublic,
    ScanCreate,
    ScanKind,
    VolunteerReport,
)
from app.routers.common import (
    XLSX,
    FilterId,
    OptionalMonth,
    RowId,
    created_or_found,
    rotating_code,
    spreadsheet,
)
from app.services import volunteer as volunteer_service
from app.services.volunteer import papers as volunteer_papers
from app.services.volunteer import view as volunteer_view

router = APIRouter(prefix="/api/v1", tags=["志愿服务"])


@router.post(
    "/admin/activities", status_code=201, response_model=ActivityPublic, summary="发布志愿活动"
)
async def create_activity(body: ActivityCreate, principal: AdminUser, session: SessionDep) -> Any:
    return await volunteer_service.create_activity(session, principal=principal, data=body)


@router.get(
    "/activities/{activity_id}/qr",
    response_model=QrToken,
    summary="组织者出示的轮换签到码或签退码（JSON、PNG 或 SVG）",
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def activity_qr(
    activity_id: RowId,
    principal: CurrentUser,
    session: SessionDep,
    qr: QrSettingsDep,
    kind: ScanKind = ScanKind.sign_in,
    format: Literal["json", "png", "svg"] = "json",
) -> Any:
    activity = await volunteer_service.organised(
        session, principal=principal, activity_id=activity_id
    )
    token, expires = volunteer_service.current_token(activity, kind, qr=qr)
    return rotating_code(token, expires, qr.rotate_seconds, format)


@router.post(
    "/activities/{activity_id}/enrolments",
    status_code=201,
    response_model=EnrolmentPublic,
    summary="报名志愿活动",
    responses={200: {"model": EnrolmentPublic, "description": "已报名过，返回原报名"}},
)
async def enrol(
    activity_id: RowId, principal: CurrentUser, session: SessionDep, response: Response
) -> Any:
    return created_or_found(
        response,
        await volunteer_service.enrol(session, principal=principal, activity_id=activity_id),
    )


@router.post(
    "/activities/{activity_id}/scans",
    status_code=201,
    response_model=RecordPublic,
    summary="扫码签到或签退（同一接口，按二维码区分）",
    responses={200: {"model": RecordPublic, "description": "签退：返回更新后的记录"}},
)
async def scan(
    activity_id: RowId,
    body: ScanCreate,
    principal: CurrentUser,
    session: SessionDep,
    qr: QrSettingsDep,
    response: Response,
) -> Any:
    return created_or_found(
        response,
        await volunteer_service.scan(
            session, principal=principal, activity_id=activity_id, data=body, qr=qr
        ),
    )


@router.get(
    "/admin/activities/{activity_id}/records",
    response_model=ListPage[RecordPublic],
    summary="活动的签到签退记录",
)
async def records(
    activity_id: RowId,
    principal: AdminUser,
    session: SessionDep,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Any:
    return await volunteer_service.records(
        session, principal=principal, activity_id=activity_id, limit=limit, cursor=cursor
    )


@router.post(
    "/admin/activities/{activity_id}/records",
    status_code=201,
    response_model=RecordPublic,
    summary="补录或更正一条记录（须写明原因）",
)
async def enter_by_hand(
    activity_id: RowId, body: HandEntry, principal: AdminUser, session: SessionDep
) -> Any:
    return await volunteer_service.enter_by_hand(
        session, principal=principal, activity_id=activity_id, data=body
    )


@router.post(
    "/admin/activities/{activity_id}/confirm",
    response_model=list[RecordPublic],
    summary="确认时长（记入志愿时长，并按规则记积分；重复确认不重复记）",
)
async def confirm(
    activity_id: RowId, body: RecordIds, principal: AdminUser, session: SessionDep
) -> Any:
    return await volunteer_service.confirm(
        session, principal=principal, activity_id=activity_id, record_ids=body.record_ids
    )


@router.post(
    "/admin/activities/{activity_id}/reject",
    response_model=list[RecordPublic],
    summary="驳回记录",
)
async def reject(
    activity_id: RowId, body: RecordIds, principal: AdminUser, session: SessionDep
) -> Any:
    return await volunteer_service.reject(
        session,
        principal=principal,
        activity_id=activity_id,
        record_ids=body.record_ids,
        note=body.note,
    )


@router.get("/me/volunteer", response_model=MyVolunteer, summary="我的志愿时长、星级与记录")
async def my_volunteer(principal: CurrentUser, session: SessionDep, settings: SettingsDep) -> Any:
    return await volunteer_view.mine(
        session, principal=principal, star_hours=settings.volunteer_star_hours
    )


@router.get(
    "/me/volunteer/certificate",
    summary="志愿服务证明（PNG）",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def my_certificate(
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    date_from: Day | None = None,
    date_to: Day | None = None,
) -> Response:
    image = await volunteer_view.certificate_png(
        session,
        principal=principal,
        date_from=date_from,
        date_to=date_to,
        font=settings.cjk_font,
    )
    return Response(
        image,
        media_type="image/png",
        headers={"Content-Disposition": 'inline; filename="volunteer-certificate.png"'},
    )


@router.get(
    "/admin/activities/{activity_id}/report",
    response_model=VolunteerReport,
    summary="一次活动的志愿者与时长（?format=xlsx 导出）",
    responses={200: {"content": {XLSX: {}}}},
)
async def activity_report(
    activity_id: RowId,
    principal: AdminUser,
    session: SessionDep,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await volunteer_papers.activity_paper(
                session, principal=principal, activity_id=activity_id
            )
        )
    return await volunteer_view.report(
        session, principal=principal, period=None, village_id=None, activity_id=activity_id
    )


@router.get(
    "/admin/volunteer/reports",
    response_model=VolunteerReport,
    summary="各村每月志愿服务统计（?format=xlsx 导出）",
    responses={200: {"content": {XLSX: {}}}},
)
async def monthly_report(
    principal: AdminUser,
    session: SessionDep,
    period: OptionalMonth = None,
    village_id: FilterId = None,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await volunteer_papers.month_paper(
                session, principal=principal, period=period, village_id=village_id
            )
        )
    return await volunteer_view.report(
        session, principal=principal, period=period, village_id=village_id, activity_id=None
    )

"""The caller's own profile."""

from typing import Any

from fastapi import APIRouter, Request, Response

from app.deps import CurrentUser, SessionDep, SettingsDep, StorageDep
from app.models.me import MeProfile
from app.services.me import data_export as export_service
from app.services.me import profile_cache

router = APIRouter(prefix="/api/v1", tags=["我的"])


@router.get("/me", response_model=MeProfile, summary="我的资料、角色与余额")
async def me(request: Request, principal: CurrentUser, settings: SettingsDep) -> Any:
    body = await profile_cache.me_json(
        request.app.state.read_sessionmaker,
        cache=request.app.state.principal_cache,  # the cache principals are kept in
        principal=principal,
        star_hours=settings.volunteer_star_hours,
    )
    return Response(body, media_type="application/json")


@router.get(
    "/me/data-export",
    response_class=Response,
    summary="导出我的个人信息副本（zip，每天一次）",
    description="含 profile.json、points.json、attendance.json、requests.json、redemptions.json、"
    "notifications.json 和本人上传的照片（photos/）。",
    responses={200: {"content": {"application/zip": {}}, "description": "个人信息副本"}},
)
async def data_export(principal: CurrentUser, session: SessionDep, storage: StorageDep) -> Response:
    archive = await export_service.export(session, principal=principal, storage=storage)
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="xiangzhi-my-data.zip"'},
    )

"""The caller's own profile."""

from typing import Any

from fastapi import APIRouter, Request, Response

from app.deps import CurrentUser, SettingsDep
from app.models.me import MeProfile
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

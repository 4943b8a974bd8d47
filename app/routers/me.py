"""The caller's own profile."""

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models.profile import MeProfile
from app.services.me import profile as profile_service

router = APIRouter(prefix="/api/v1", tags=["我的"])


@router.get("/me", response_model=MeProfile, summary="我的资料、角色与余额")
async def me(principal: CurrentUser, session: SessionDep, settings: SettingsDep) -> MeProfile:
    return await profile_service.profile_of(
        session, principal=principal, star_hours=settings.volunteer_star_hours
    )

"""The privacy notice (public) and a phone's acceptance of it, before it binds a phone number."""

from typing import Any

from fastapi import APIRouter

from app.deps import CurrentUser, SessionDep, SettingsDep
from app.models.privacy import ConsentCreate, ConsentPublic, PrivacyNotice
from app.services.identity import privacy

router = APIRouter(prefix="/api/v1", tags=["个人信息"])


@router.get(
    "/privacy",
    response_model=PrivacyNotice,
    summary="当前的隐私保护指引",
    description="公开，无须登录。版本变了，手机须请用户重新同意。",
)
async def notice(settings: SettingsDep) -> PrivacyNotice:
    return privacy.notice(settings)


@router.post(
    "/me/privacy-consent",
    response_model=ConsentPublic,
    summary="记录用户同意隐私保护指引（wx.requirePrivacyAuthorize 的结果）",
    description="只能同意当前版本；同意过再同意，返回同一条记录。绑定手机号前须同意当前版本。",
)
async def consent(
    body: ConsentCreate, principal: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Any:
    return await privacy.accept(
        session, principal=principal, settings=settings, version=body.version
    )

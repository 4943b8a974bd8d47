"""WeChat login, phone binding, token refresh, logout and the console's password login."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.deps import CacheDep, CurrentUser, SessionDep, SettingsDep, WechatDep
from app.models.auth import BindPhoneRequest, LogoutRequest, RefreshRequest, WechatLoginRequest
from app.models.me import MeProfile, TokenResponse
from app.services.identity import TokenPair
from app.services.identity import auth as auth_service
from app.services.kit import ratelimit
from app.services.me import profile as profile_service

router = APIRouter(prefix="/api/v1/auth", tags=["登录与身份"])


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _answer(session: AsyncSession, settings: Settings, pair: TokenPair) -> TokenResponse:
    assert pair.account.id is not None
    user = await profile_service.profile_for(
        session, account_id=pair.account.id, star_hours=settings.volunteer_star_hours
    )
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        user=user,
    )


@router.post("/wechat-login", response_model=TokenResponse, summary="微信登录")
async def wechat_login(
    body: WechatLoginRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    wechat: WechatDep,
) -> TokenResponse:
    await ratelimit.hit(
        cache, bucket=f"login:ip:{_client_ip(request)}", limit=settings.login_ip_per_minute
    )
    pair = await auth_service.wechat_login(
        session, settings=settings, wechat=wechat, code=body.code
    )
    return await _answer(session, settings, pair)


@router.post("/bind-phone", response_model=MeProfile, summary="绑定手机号到花名册")
async def bind_phone(
    body: BindPhoneRequest,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    wechat: WechatDep,
) -> MeProfile:
    await ratelimit.hit(
        cache, bucket=f"bind:acct:{principal.account_id}", limit=settings.login_account_per_minute
    )
    await auth_service.bind_phone(
        session, settings=settings, wechat=wechat, principal=principal, code=body.code
    )
    return await profile_service.profile_for(
        session, account_id=principal.account_id, star_hours=settings.volunteer_star_hours
    )


@router.post("/refresh", response_model=TokenResponse, summary="换取新的令牌")
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    pair = await auth_service.refresh(session, settings=settings, raw_token=body.refresh_token)
    return await _answer(session, settings, pair)


@router.post("/logout", status_code=204, summary="退出登录")
async def logout(
    principal: CurrentUser,
    session: SessionDep,
    body: LogoutRequest | None = None,
) -> Response:
    await auth_service.logout(
        session,
        principal=principal,
        raw_token=body.refresh_token if body else None,
    )
    return Response(status_code=204)


@router.post("/token", response_model=TokenResponse, summary="管理后台账号密码登录")
async def password_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
) -> TokenResponse:
    await ratelimit.hit(
        cache, bucket=f"login:ip:{_client_ip(request)}", limit=settings.login_ip_per_minute
    )
    pair = await auth_service.password_login(
        session,
        settings=settings,
        cache=cache,
        username=form.username,
        password=form.password,
        address=_client_ip(request),
    )
    return await _answer(session, settings, pair)

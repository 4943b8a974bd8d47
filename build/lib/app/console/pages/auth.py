"""Sign in and out of the console with the same accounts, hashes and limits as the API's
password login (`POST /api/v1/auth/token`)."""

import time
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from app.console import sessions
from app.console.deps import Anyone, CheckedForm, console_router, set_session_cookie
from app.console.render import page
from app.deps import CacheDep, SessionDep, SettingsDep
from app.errors import AppError
from app.services.identity import auth as auth_service
from app.services.identity import decode_access_token
from app.services.kit import ratelimit

router = console_router()


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _next(value: str | None) -> str:
    """Only a console path: a login link must not send an admin to another site."""
    if value and value.startswith("/console/") and not value.startswith("/console//"):
        return value
    return "/console/"


def _login_page(
    request: Request, settings: SettingsDep, *, error: str | None = None, status: int = 200
) -> Response:
    nonce = request.cookies.get(sessions.LOGIN_COOKIE) or sessions.new_login_nonce()
    response = page(
        request,
        "login.html",
        {
            "login_csrf": sessions.login_csrf_for(settings, nonce),
            "error": error,
            "next": _next(request.query_params.get("next")),
        },
        status=status,
    )
    response.set_cookie(
        sessions.LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
    )
    return response


@router.get("/login")
async def login_form(request: Request, settings: SettingsDep) -> Response:
    return _login_page(request, settings)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=512)] = "/console/",
) -> Response:
    nonce = request.cookies.get(sessions.LOGIN_COOKIE) or ""
    if not nonce or not sessions.same(csrf_token, sessions.login_csrf_for(settings, nonce)):
        return _login_page(request, settings, error="页面已过期，请重新输入。", status=403)
    if not username or not password:
        return _login_page(request, settings, error="请输入用户名和密码。", status=422)
    try:
        await ratelimit.hit(
            cache, bucket=f"login:ip:{_client_ip(request)}", limit=settings.login_ip_per_minute
        )
        pair = await auth_service.password_login(
            session,
            settings=settings,
            cache=cache,
            username=username,
            password=password,
            address=_client_ip(request),
        )
    except AppError as error:
        response = _login_page(request, settings, error=error.detail, status=error.status)
        response.headers.update(error.headers)
        return response
    claims = decode_access_token(settings, pair.access_token)
    started = int(time.time())
    response = RedirectResponse(_next(next), status_code=303)
    set_session_cookie(
        response,
        settings,
        sessions.issue(
            settings, account_id=claims.account_id, session_id=claims.session_id, started=started
        ),
        max_age=settings.console_max_hours * 3600,
    )
    response.delete_cookie(sessions.LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(
    request: Request,
    principal: Anyone,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    await auth_service.logout(session, principal=principal, raw_token=None)
    request.state.console_renewal = None  # an ended session is not renewed on the way out
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/console")
    return response

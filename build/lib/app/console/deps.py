"""Who is at the console, and the checks every console write passes: a live session, an
admin role, a CSRF token, and a form that has not been posted before."""

import secrets
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from app.cache import Cache
from app.config import Settings
from app.console import sessions
from app.deps import principal_of
from app.errors import AppError, Forbidden
from app.models.roster import ADMIN_ROLES, Role
from app.services.identity import Principal, SessionRevoked

# A form's one-time mark is kept this long: a double click or a back button and resubmit
# within a day finds it.
_ONCE_SECONDS = 24 * 3600


class LoginNeeded(Exception):
    """No live console session: the page sends the admin to the login form."""


class CsrfRefused(Forbidden):
    code = "console.csrf"
    detail = "页面已过期或来源不明，请刷新页面后再提交。"


class NotAnAdmin(Forbidden):
    code = "console.not_admin"
    detail = "这个账号没有管理后台的权限。"


class NotForThisRole(Forbidden):
    code = "console.not_for_role"
    detail = "这个页面不属于您的职责范围。"


# Who may sign in to the console at all: the admins, the shop keeper for the counter, the
# treasurer for the dues, the supervision committee for its flags.
CONSOLE_ROLES = frozenset({*ADMIN_ROLES, Role.shop_keeper, Role.dues_keeper, Role.supervisor})


async def live_session(request: Request) -> Principal:
    """Whoever holds a live console session, whatever their roles: enough to sign out."""
    settings: Settings = request.app.state.settings
    found = sessions.read(settings, request.cookies.get(sessions.COOKIE))
    if found is None:
        raise LoginNeeded()
    try:
        principal = await principal_of(
            request, account_id=found.account_id, session_id=found.session_id
        )
    except SessionRevoked as exc:
        raise LoginNeeded() from exc
    if principal is None:
        raise LoginNeeded()
    request.state.principal = principal
    # Set before any role is checked: the "no rights here" page still offers to sign out.
    request.state.console_csrf = sessions.csrf_for(settings, found.session_id)
    if found.seen + sessions.REISSUE_AFTER_SECONDS < _now():
        # Set on the page's answer by ConsoleRoute: a route that returns its own Response
        # (every console page does) drops headers set on FastAPI's temporal response.
        request.state.console_renewal = (
            sessions.issue(
                settings,
                account_id=found.account_id,
                session_id=found.session_id,
                started=found.started,
            ),
            sessions.lifetime_left(settings, found),
        )
    return principal


Anyone = Annotated[Principal, Depends(live_session)]


async def console_user(principal: Anyone, request: Request) -> Principal:
    if not principal.has_role(CONSOLE_ROLES):
        raise NotAnAdmin()
    request.state.console_principal = principal
    return principal


class ConsoleRoute(APIRoute):
    """A console route: its answer carries the renewed session cookie when there is one."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response = await handle(request)
            renewal = getattr(request.state, "console_renewal", None)
            if renewal is not None:
                value, max_age = renewal
                set_session_cookie(response, request.app.state.settings, value, max_age=max_age)
            return response

        return handler


def console_router() -> APIRouter:
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _now() -> int:
    return int(time.time())


def set_session_cookie(response: Response, settings: Settings, value: str, *, max_age: int) -> None:
    response.set_cookie(
        sessions.COOKIE,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
    )


SignedIn = Annotated[Principal, Depends(console_user)]


def console_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A page for these roles only; another console user is told it is not theirs."""

    async def dependency(principal: SignedIn) -> Principal:
        if not principal.has_role(roles):
            raise NotForThisRole()
        return principal

    return dependency


# The admins' pages (every page but the shop counter).
ConsoleUser = Annotated[Principal, Depends(console_roles(*ADMIN_ROLES))]
# The points shop's counter: its keeper, and the admins above the village.
CounterUser = Annotated[Principal, Depends(console_roles(*ADMIN_ROLES, Role.shop_keeper))]
# Party dues: the branch's treasurer, and the admins.
DuesUser = Annotated[Principal, Depends(console_roles(*ADMIN_ROLES, Role.dues_keeper))]
# Favouritism flags: the supervision committee and the town, never the village's own admins.
FLAG_ROLES = (Role.superadmin, Role.town_admin, Role.supervisor)
FlagUser = Annotated[Principal, Depends(console_roles(*FLAG_ROLES))]


async def checked_form(request: Request, principal: Anyone) -> FormData:
    """The posted form, once its CSRF token (field or htmx header) matches the session's."""
    form = await request.form()
    given = form.get(sessions.CSRF_FIELD) or request.headers.get(sessions.CSRF_HEADER)
    if not isinstance(given, str) or not sessions.same(given, request.state.console_csrf):
        raise CsrfRefused()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def new_once() -> str:
    """The mark a rendered form carries so that posting it twice acts once."""
    return secrets.token_urlsafe(16)


class AlreadyPosted(AppError):
    status = 409
    code = "console.already_posted"
    detail = "这份表单已经提交过了，没有再次执行。"


async def claim_once(cache: Cache, principal: Principal, form: FormData) -> None:
    """Refuses a form whose mark was posted before (double click, back and resubmit). A form
    without a mark (a search) is not a write and needs none."""
    key = _once_key(principal, form)
    if key is not None and not await cache.set(key, "1", nx=True, ex=_ONCE_SECONDS):
        raise AlreadyPosted()


async def release_once(cache: Cache, principal: Principal, form: FormData) -> None:
    """Frees the mark of a form the service refused, so its corrected copy may be sent."""
    key = _once_key(principal, form)
    if key is not None:
        await cache.delete(key)


def _once_key(principal: Principal, form: FormData) -> str | None:
    mark = form.get("once")
    if not isinstance(mark, str) or not mark:
        return None
    return f"xz:console:once:{principal.account_id}:{mark[:64]}"


def row_id(value: object) -> int | None:
    """A row id typed or posted in a form, or None: digits only, and small enough for the
    database's integer (a longer number is nobody's row)."""
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value) or None
    return None


def row_ids(text: str) -> list[int]:
    """Row ids typed in one field, separated by commas (Chinese ones too) or 、."""
    for mark in ("，", "、"):
        text = text.replace(mark, ",")
    return [i for i in map(row_id, (w.strip() for w in text.split(","))) if i is not None]

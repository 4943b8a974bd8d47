"""The admins' console (管理后台): server-rendered pages under ``/console/`` that call the same
services as the JSON routers, with the same principal, scopes, transaction, audit and error
codes. ``install`` adds its routes, its vendored static files and its HTML error pages to the
app; its headers (a strict CSP, no framing, no caching) are set with every other answer's in
``app/middleware/request_context.py``."""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.console.deps import LoginNeeded
from app.console.pages import (
    audit_log,
    auth,
    counter,
    development,
    dues,
    events,
    flags,
    grid,
    health,
    ledger,
    members,
    notices,
    organisation,
    papers,
    party_life,
    people,
    queues,
    roster_import,
    rules,
    town,
    volunteer,
    workbench,
)
from app.console.render import page
from app.errors import AppError

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"


def router() -> APIRouter:
    pages = APIRouter(prefix=PREFIX, include_in_schema=False)
    for module in (
        auth,
        workbench,
        town,
        health,
        flags,
        queues,
        events,
        party_life,
        development,
        members,
        organisation,
        volunteer,
        grid,
        people,
        roster_import,
        counter,
        dues,
        rules,
        ledger,
        papers,
        notices,
        audit_log,
    ):
        pages.include_router(module.router)
    return pages


def _is_console(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


def _error_page(request: Request, status: int, detail: str) -> Response:
    return page(request, "error.html", {"status": status, "detail": detail}, status=status)


def install(app: FastAPI) -> None:
    app.include_router(router())
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    api_handlers = dict(app.exception_handlers)

    async def login_needed(request: Request, exc: Exception) -> Response:
        target = f"{PREFIX}/login"
        if request.method == "GET" and request.url.path not in (PREFIX, f"{PREFIX}/"):
            target += f"?next={request.url.path}"
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    def html_or_api(kind: type[Exception]) -> None:
        original = api_handlers[kind]

        async def handle(request: Request, exc: Exception) -> Response:
            if not _is_console(request):
                return await original(request, exc)  # type: ignore[no-any-return]
            if isinstance(exc, AppError):
                return _error_page(request, exc.status, exc.detail)
            if isinstance(exc, StarletteHTTPException):
                detail = "页面不存在。" if exc.status_code == 404 else "请求有误。"
                return _error_page(request, exc.status_code, detail)
            if isinstance(exc, RequestValidationError):
                # A malformed id in a page's path is a page that does not exist.
                if request.method == "GET":
                    return _error_page(request, 404, "页面不存在。")
                return _error_page(request, 422, "提交的内容不完整，请返回检查。")
            return _error_page(request, 500, "系统出了点问题，请稍后再试。")

        app.add_exception_handler(kind, handle)

    app.add_exception_handler(LoginNeeded, login_needed)
    for kind in (AppError, StarletteHTTPException, RequestValidationError):
        html_or_api(kind)

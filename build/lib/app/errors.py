"""Domain errors and their rendering as RFC 9457 problem+json.

Services raise ``AppError`` subclasses; they know nothing of HTTP beyond a status number.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.validation import describe

log = logging.getLogger("xiangzhi.errors")

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    status: int = 400
    title: str = "Bad Request"
    code: str = "request.invalid"
    detail: str = "请求有误。"
    # Some failures must still persist what the service wrote (a revoked token family).
    keeps_changes: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if detail is not None:
            self.detail = detail
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, title, code, detail = 401, "Unauthorized", "auth.unauthorized", "请先登录。"


class Forbidden(AppError):
    status, title, code, detail = 403, "Forbidden", "auth.forbidden", "您没有权限进行此操作。"


class NotFound(AppError):
    status, title, code, detail = 404, "Not Found", "not_found", "找不到该记录。"


class Conflict(AppError):
    status, title, code, detail = 409, "Conflict", "conflict", "操作与当前状态冲突。"


class Unprocessable(AppError):
    status, title, code, detail = 422, "Unprocessable Content", "request.invalid", "请求内容有误。"


class TooManyRequests(AppError):
    status, title, code, detail = (
        429,
        "Too Many Requests",
        "rate_limited",
        "操作太频繁，请稍后再试。",
    )

    def __init__(self, detail: str | None = None, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, retry_after))})


class UpstreamError(AppError):
    status, title, code, detail = (
        502,
        "Bad Gateway",
        "upstream.error",
        "微信服务返回错误，请稍后再试。",
    )


class ServiceUnavailable(AppError):
    status, title = 503, "Service Unavailable"
    code, detail = "service.unavailable", "服务暂时不可用，请稍后再试。"


def problem_body(error: AppError) -> dict[str, Any]:
    return {
        "type": f"https://xiangzhi.cn/problems/{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        **error.extra,
    }


def problem(
    status: int,
    *,
    title: str,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://xiangzhi.cn/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(
        problem_body(exc), status_code=exc.status, headers=exc.headers, media_type=PROBLEM_JSON
    )


def _body_model(request: Request) -> Any:
    body_field = getattr(request.scope.get("route"), "body_field", None)
    return getattr(getattr(body_field, "field_info", None), "annotation", None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    model = _body_model(request)
    errors = [
        dict(zip(("field", "message"), describe(err, model), strict=True)) for err in exc.errors()
    ]
    detail = "请求内容有误：" + "；".join(e["message"] for e in errors[:5]) + "。"
    return problem(
        422, title="Unprocessable Content", code="request.validation", detail=detail, errors=errors
    )


_HTTP_DETAILS = {
    404: ("not_found", "找不到该地址。"),
    405: ("request.method_not_allowed", "不支持该请求方法。"),
    413: ("request.too_large", "请求内容太大。"),
    415: ("request.unsupported_media_type", "不支持的内容类型。"),
}


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, detail = _HTTP_DETAILS.get(exc.status_code, ("request.invalid", "请求有误。"))
    headers = dict(exc.headers) if exc.headers else None
    return problem(
        exc.status_code, title=_title(exc.status_code), code=code, detail=detail, headers=headers
    )


async def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error: %s", exc)
    return problem(
        409, title="Conflict", code="conflict.duplicate", detail="该记录已存在或与其他记录冲突。"
    )


async def _db_error(_: Request, exc: Exception) -> JSONResponse:
    # Values the database itself refuses (out-of-range numbers, NUL bytes) are the caller's.
    assert isinstance(exc, DBAPIError)
    name = type(exc.orig).__name__ if exc.orig is not None else ""
    # SQLSTATE class 22 is "data exception" (NUL bytes, bad encodings, out-of-range values).
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    if sqlstate.startswith("22") or "DataError" in name or "OutOfRange" in name:
        return problem(
            422,
            title="Unprocessable Content",
            code="request.invalid_value",
            detail="请求中有数据库无法保存的值。",
        )
    log.exception("database error", exc_info=exc)
    return _unavailable("service.database", "数据库暂时不可用，请稍后再试。")


# The mini-program retries a 503 (with the same Idempotency-Key) and never a 500: an outage of
# the database, its pool or Redis must say 503, whichever layer meets it first.
RETRY_AFTER_SECONDS = 3


def _unavailable(code: str, detail: str) -> JSONResponse:
    return problem(
        503,
        title="Service Unavailable",
        code=code,
        detail=detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def outage_response(exc: BaseException) -> JSONResponse | None:
    """The 503 for an exception that means a backing service is away, else None."""
    if isinstance(exc, RedisError):
        return _unavailable("service.cache", "缓存服务暂时不可用，请稍后再试。")
    if isinstance(exc, SATimeoutError | DBAPIError | ConnectionError | TimeoutError):
        return _unavailable("service.database", "数据库暂时不可用，请稍后再试。")
    return None


async def _outage(_: Request, exc: Exception) -> JSONResponse:
    log.warning("backing service unavailable: %r", exc)
    answer = outage_response(exc)
    assert answer is not None
    return answer


def server_error() -> JSONResponse:
    return problem(
        500, title="Internal Server Error", code="server.error", detail="服务器出错了，请稍后再试。"
    )


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return server_error()


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _db_error)
    for outage in (RedisError, SATimeoutError, ConnectionError, TimeoutError):
        app.add_exception_handler(outage, _outage)
    app.add_exception_handler(Exception, _unhandled)

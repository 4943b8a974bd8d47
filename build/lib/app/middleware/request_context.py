"""Gives every request an id, returns it as ``X-Request-ID`` (a 500 included) with the headers
every answer carries, and logs one JSON line per request."""

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import outage_response, server_error
from app.request_context import request_id_var

log = logging.getLogger("xiangzhi.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),  # no page of ours is ever framed
)
# Answers that carry tokens must not sit in any cache on the way.
_TOKEN_PATHS = ("/api/v1/auth/",)
_API_PATHS = ("/api/",)
# The API docs load only what the app serves: ReDoc's bundle would fetch its logo from a CDN,
# and an office without a way out (or a tampered page) must not reach anything else. Swagger UI
# and ReDoc write inline script and style, which these two pages must allow.
_DOCS_PATHS = ("/docs", "/redoc")
_DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
# The admins' console has no inline script or style at all: every script is a file it serves.
_ADMIN_PATHS = ("/console",)
_ADMIN_STATIC = ("/console/static/",)
_ADMIN_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        began = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in _ALWAYS:
                    headers.setdefault(name, value)
                if scope["path"].startswith(_TOKEN_PATHS):
                    headers["Cache-Control"] = "no-store"
                elif scope["path"].startswith(_API_PATHS) and "cache-control" not in headers:
                    # What the API answers is someone's: their points, their village's roster,
                    # an export. No browser, proxy or WeChat cache keeps it unless a route says.
                    headers["Cache-Control"] = "no-store"
                if scope["path"].startswith(_DOCS_PATHS):
                    headers["Content-Security-Policy"] = _DOCS_POLICY
                elif scope["path"].startswith(_ADMIN_PATHS):
                    headers["Content-Security-Policy"] = _ADMIN_POLICY
                    if not scope["path"].startswith(_ADMIN_STATIC):
                        # A page names people and their points: no cache keeps it.
                        headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started:
                raise
            # Answered here, where the request's id is known. Middleware (the idempotency store)
            # may meet an outage before any handler can: that is a 503 the phone retries.
            outage = outage_response(exc)
            if outage is None:
                await server_error()(scope, receive, send_with_id)
                raise
            log.warning("backing service unavailable: %r", exc)
            await outage(scope, receive, send_with_id)
        finally:
            principal = scope.get("state", {}).get("principal")
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1")[:500],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - began) * 1000, 1),
                    # The proxy's X-Forwarded-For is already applied by uvicorn here.
                    "client": client[0] if client else None,
                    "account_id": getattr(principal, "account_id", None),
                },
            )
            request_id_var.reset(token)

"""Refuses request bodies over a size limit while they stream in, as problem+json 413.

Starlette's own limiter answers in plain text; phones read the ``code`` of a problem.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError
from app.middleware.problems import send_problem


class BodyTooLarge(AppError):
    status, title, code = 413, "Content Too Large", "request.too_large"
    detail = "请求内容太大。"


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int,
        limits: dict[str, tuple[int, str]] | None = None,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits or {}

    def _limit_for(self, path: str) -> tuple[int, str]:
        for prefix, (limit, code) in self.limits.items():
            if path.startswith(prefix):
                return limit, code
        return self.default_limit, BodyTooLarge.code

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, code = self._limit_for(scope["path"])
        too_large = BodyTooLarge(code=code)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await send_problem(send, too_large)
                return
        received = 0
        started = exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise too_large
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # A form parser turns our refusal into its own 400 ("error parsing the body");
                # the caller must still learn the body was too large.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await send_problem(send, too_large)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await send_problem(send, too_large)

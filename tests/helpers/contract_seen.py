"""Every (method, path, status) the suite's requests were answered with, for the check that the
contract documents each of them (tests/test_zz_documented_errors.py runs last)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SEEN: set[tuple[str, str, int]] = set()


def recording(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await app(scope, receive, capture)
        # The router writes the matched route into this same scope.
        path = getattr(scope.get("route"), "path_format", None)
        if scope["type"] == "http" and status and path:
            SEEN.add((scope["method"], path, status))

    return wrapped

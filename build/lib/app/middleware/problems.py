"""problem+json written straight to ASGI ``send``, for middleware that answers before routing."""

import json

from starlette.types import Send

from app.errors import AppError, problem_body


async def send_problem(send: Send, error: AppError) -> None:
    body = json.dumps(problem_body(error), ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

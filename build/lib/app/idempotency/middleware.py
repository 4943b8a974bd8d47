"""``Idempotency-Key`` for POSTs: the first answer is stored per user and replayed on retries.

It sits in front of the routes so that a replay never runs the route again. The caller is known
from the bearer token alone; requests without a valid token pass through untouched (the route
answers 401 itself, and logins are single-use by nature).
"""

import asyncio
import hashlib
import logging
from datetime import timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import faults, idempotency
from app.config import Settings
from app.db import SessionMaker
from app.errors import AppError
from app.idempotency import writers
from app.middleware.problems import send_problem
from app.services.identity import decode_access_token

log = logging.getLogger("xiangzhi.idempotency")

_KEPT_HEADERS = ("content-type", "location")
_MAX_KEY = 128


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class InvalidKey(AppError):
    status, title, code = 422, "Unprocessable Content", "idempotency.key_invalid"
    detail = "Idempotency-Key 须为 1 到 128 个可见字符。"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not (1 <= len(key) <= _MAX_KEY) or not key.isprintable():
            await send_problem(send, InvalidKey())
            return
        state = scope["app"].state
        settings: Settings = state.settings
        owner = _owner(settings, _header(scope, b"authorization"))
        if owner is None:
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        digest = hashlib.sha256()
        for part in (scope["path"].encode(), scope.get("query_string", b""), body):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)

        try:
            outcome = await writers.claim(
                state.writers.get(writers.IdempotencyClaimWriter),
                owner=owner,
                key=key,
                request_hash=digest.hexdigest(),
                ttl=timedelta(hours=settings.idempotency_hours),
            )
        except AppError as error:
            await send_problem(send, error)
            return
        if isinstance(outcome, idempotency.Replay):
            await _replay(send, outcome)
            return
        await self._run_once(scope, body, send, state, outcome)

    async def _run_once(
        self,
        scope: Scope,
        body: bytes,
        send: Send,
        state: Any,
        claimed: idempotency.Claimed,
    ) -> None:
        sessionmaker: SessionMaker = state.sessionmaker
        settings: Settings = state.settings
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # nothing more will come; wait like a quiet client
            return {"type": "http.disconnect"}

        # The answer is held back until the write and the answer are committed together: a
        # phone must never see a 201 for a write that a crash then loses, nor the reverse.
        answer = _Answer()
        pending = idempotency.Pending(claimed)
        scope.setdefault("state", {})["idempotency"] = pending
        stored: bool | None = False
        try:
            await self.app(scope, replay_receive, answer.capture)
            stored = await self._store(
                state.writers.get(writers.IdempotencyAnswerWriter), pending, answer
            )
            if stored:
                await faults.pause_after_commit(settings)
        finally:
            if pending.session is not None:
                await asyncio.shield(pending.session.close())
            if not stored:
                await asyncio.shield(idempotency.release(sessionmaker, claimed))
        if answer.status is None:
            return  # the route sent nothing (the client went away)
        if stored is None:
            await send_problem(send, idempotency.InFlight())
            return
        await answer.send_to(send)

    @staticmethod
    async def _store(
        answers: writers.IdempotencyAnswerWriter, pending: idempotency.Pending, answer: "_Answer"
    ) -> bool | None:
        """Commits the write with its answer. False: nothing to keep (the retry may run again);
        None: another request took the claim over, so this one's write was rolled back."""
        if pending.answered:  # stored with the write, by the writer that committed it
            return True
        session = pending.session
        keep = answer.status is not None and answer.status < 500 and answer.status != 429
        if session is None:  # the route wrote nothing: no transaction to share
            if keep:
                await writers.complete(answers, pending.claimed, answer.stored())
            return keep
        if not keep:
            await session.rollback()
            return False
        if not await idempotency.complete_in(session, pending.claimed, answer.stored()):
            await session.rollback()
            return None
        await session.commit()
        return True


class _Answer:
    """The route's response, held instead of sent."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.start: Message | None = None
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []

    async def capture(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start, self.status = message, message["status"]
            for name, value in message.get("headers", []):
                lowered = name.decode("latin-1").lower()
                if lowered in _KEPT_HEADERS:
                    self.headers[lowered] = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def stored(self) -> idempotency.Answer:
        assert self.status is not None
        return idempotency.Answer(self.status, self.headers, b"".join(self.chunks))

    async def send_to(self, send: Send) -> None:
        assert self.start is not None
        await send(self.start)
        await send({"type": "http.response.body", "body": b"".join(self.chunks)})


async def _replay(send: Send, replay: idempotency.Replay) -> None:
    raw_headers = [(k.encode(), v.encode()) for k, v in replay.headers.items()]
    raw_headers += [
        (b"idempotent-replayed", b"true"),
        (b"content-length", str(len(replay.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": replay.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": replay.body})


def _owner(settings: Settings, authorization: str | None) -> str | None:
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    try:
        claims = decode_access_token(settings, authorization[7:].strip())
    except AppError:
        return None
    return f"account:{claims.account_id}"

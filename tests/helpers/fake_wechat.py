"""A fake WeChat API server on loopback: real HTTP, scripted answers."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.main import create_app
from app.services.kit import printing
from tests.conftest import make_settings
from tests.helpers.net import free_port

APPID = "wx-test-app"
# A real image (the poster draws it onto the page), of a code no check-in accepts.
FAKE_PNG = printing.qr_png("fake mini-program code")
SECRET = "wx-test-secret"


@dataclass
class FakeWechat:
    base_url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    busy_left: dict[str, int] = field(default_factory=dict)
    tokens_issued: int = 0
    stale_tokens: set[str] = field(default_factory=set)
    media_check_errcode: int = 0
    traces_issued: int = 0
    # openid → the errcodes its next subscribe sends answer, in order (then 0: sent).
    send_script: dict[str, list[int]] = field(default_factory=dict)
    messages_sent: int = 0

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.calls if p == path)

    async def code2session(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        self.calls.append(("/sns/jscode2session", params))
        code = params.get("js_code", "")
        if params.get("appid") != APPID or params.get("secret") != SECRET:
            return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
        if code == "slow":
            await asyncio.sleep(3)
        if code.startswith("busy"):
            left = self.busy_left.setdefault(code, 1 if code == "busy-once" else 99)
            if left > 0:
                self.busy_left[code] = left - 1
                return JSONResponse({"errcode": -1, "errmsg": "system error"})
        if code == "invalid":
            return JSONResponse({"errcode": 40029, "errmsg": "invalid code"})
        if code == "used":
            return JSONResponse({"errcode": 40163, "errmsg": "code been used"})
        return JSONResponse({"openid": f"live-{code}", "session_key": "SECRET-KEY-NEVER-SHOWN"})

    async def stable_token(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.calls.append(("/cgi-bin/stable_token", body))
        self.tokens_issued += 1
        return JSONResponse({"access_token": f"token-{self.tokens_issued}", "expires_in": 7200})

    async def phone(self, request: Request) -> JSONResponse:
        body = await request.json()
        token = request.query_params.get("access_token", "")
        self.calls.append(("/wxa/business/getuserphonenumber", {**body, "access_token": token}))
        if token in self.stale_tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        code = body.get("code", "")
        if not code.startswith("phone-"):
            return JSONResponse({"errcode": 40029, "errmsg": "invalid code"})
        number = code.removeprefix("phone-")
        return JSONResponse(
            {
                "errcode": 0,
                "phone_info": {
                    "phoneNumber": number,
                    "purePhoneNumber": number,
                    "countryCode": "86",
                    "watermark": {"appid": APPID, "timestamp": int(time.time())},
                },
            }
        )

    async def wxacode(self, request: Request) -> Response:
        body = await request.json()
        token = request.query_params.get("access_token", "")
        self.calls.append(("/wxa/getwxacodeunlimit", {**body, "access_token": token}))
        if token in self.stale_tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        if len(body.get("scene", "")) > 32:
            return JSONResponse({"errcode": 40169, "errmsg": "invalid scene"})
        return Response(FAKE_PNG, media_type="image/png")

    async def msg_sec_check(self, request: Request) -> JSONResponse:
        """Text with RISKY is risky, DOUBT needs review, NOT_OPENED is a user WeChat cannot
        check (61010); anything else passes."""
        body = await request.json()
        self.calls.append(("/wxa/msg_sec_check", body))
        content = body.get("content", "")
        if body.get("version") != 2 or not body.get("openid"):
            return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
        if "NOT_OPENED" in content:
            return JSONResponse({"errcode": 61010, "errmsg": "user not active"})
        suggest = "risky" if "RISKY" in content else "review" if "DOUBT" in content else "pass"
        label = 20001 if suggest == "risky" else 100
        return JSONResponse(
            {"errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label}}
        )

    async def media_check_async(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.calls.append(("/wxa/media_check_async", body))
        if self.media_check_errcode:
            return JSONResponse({"errcode": self.media_check_errcode, "errmsg": "error"})
        self.traces_issued += 1
        return JSONResponse(
            {"errcode": 0, "errmsg": "ok", "trace_id": f"trace-{self.traces_issued}"}
        )

    async def subscribe_send(self, request: Request) -> JSONResponse:
        body = await request.json()
        token = request.query_params.get("access_token", "")
        self.calls.append(("/cgi-bin/message/subscribe/send", {**body, "access_token": token}))
        if token in self.stale_tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        script = self.send_script.get(body.get("touser", ""), [])
        errcode = script.pop(0) if script else 0
        if errcode:
            return JSONResponse({"errcode": errcode, "errmsg": f"scripted {errcode}"})
        self.messages_sent += 1
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": 7000 + self.messages_sent})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/wxa/getwxacodeunlimit", self.wxacode, methods=["POST"]),
                Route("/wxa/msg_sec_check", self.msg_sec_check, methods=["POST"]),
                Route("/wxa/media_check_async", self.media_check_async, methods=["POST"]),
                Route("/sns/jscode2session", self.code2session),
                Route("/cgi-bin/stable_token", self.stable_token, methods=["POST"]),
                Route("/wxa/business/getuserphonenumber", self.phone, methods=["POST"]),
                Route("/cgi-bin/message/subscribe/send", self.subscribe_send, methods=["POST"]),
            ]
        )


@pytest.fixture(scope="session")
def fake_wechat_server() -> Iterator[FakeWechat]:
    fake = FakeWechat()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    fake.base_url = f"http://127.0.0.1:{port}"
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def fake_wechat(fake_wechat_server: FakeWechat) -> FakeWechat:
    fake_wechat_server.calls.clear()
    fake_wechat_server.busy_left.clear()
    fake_wechat_server.stale_tokens.clear()
    fake_wechat_server.media_check_errcode = 0
    fake_wechat_server.traces_issued = 0
    return fake_wechat_server


@asynccontextmanager
async def live_app(fake: FakeWechat, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app in live WeChat mode, talking to the fake server, on the same
    database; ``settings`` adds to or overrides the live ones."""
    live = make_settings(
        wechat_mode="live",
        wechat_appid=APPID,
        wechat_secret=SECRET,
        wechat_api_base=fake.base_url,
        wechat_timeout_seconds=1.0,
    ).model_copy(update=settings)
    app = create_app(live, run_jobs_in_process=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def live_client(fake_wechat: FakeWechat) -> AsyncIterator[httpx.AsyncClient]:
    async with live_app(fake_wechat) as client:
        yield client

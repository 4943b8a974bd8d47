"""What every answer carries, and what production may switch off."""

import json
import logging

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI

from app.logging_setup import JsonFormatter
from app.main import create_app
from tests.conftest import make_settings
from tests.helpers.factories import World


async def test_every_answer_carries_its_id_and_the_safety_headers(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/healthz", "/docs", "/api/v1/me", "/api/v1/no-such-thing"):
        r = await client.get(path)
        assert len(r.headers["x-request-id"]) >= 8, path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer", path
        assert r.headers["x-frame-options"] == "DENY", path
    login = await client.post("/api/v1/auth/wechat-login", json={"code": "abc"})
    assert login.status_code == 200 and login.headers["cache-control"] == "no-store"
    too_long = await client.post("/api/v1/auth/wechat-login", json={"code": "x" * 5000})
    assert too_long.status_code == 422


async def test_a_crash_still_answers_problem_json_with_the_request_id() -> None:
    app = create_app(make_settings(), run_jobs_in_process=False)
    crash = APIRouter()

    @crash.get("/crash")
    async def boom() -> None:
        raise RuntimeError("a bug")

    app.include_router(crash)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/crash", headers={"X-Request-ID": "trace-me-123"})
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "trace-me-123"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "server.error" and r.json()["detail"] == "服务器出错了，请稍后再试。"


async def test_docs_can_be_switched_off() -> None:
    app: FastAPI = create_app(make_settings(docs_enabled=False), run_jobs_in_process=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for path in ("/docs", "/redoc", "/openapi.json"):
                assert (await client.get(path)).status_code == 404, path
            assert (await client.get("/healthz")).status_code == 200


async def test_the_access_log_says_who_from_where_asked_what(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="xiangzhi.access"):
        await client.get("/api/v1/admin/people", params={"q": "王"}, headers=world.auth("v1_admin"))
    [line] = [r for r in caplog.records if r.name == "xiangzhi.access"]
    fields = line.__dict__
    assert fields["status"] == 200 and fields["path"] == "/api/v1/admin/people"
    assert fields["query"] == "q=%E7%8E%8B"
    assert fields["client"] == "127.0.0.1"
    assert isinstance(fields["account_id"], int)  # the caller, known from the token
    # Milliseconds this request took, not a clock reading (it once logged perf_counter - True).
    assert 0 <= fields["duration_ms"] < 5_000
    written = json.loads(JsonFormatter().format(line))
    assert written["ts"].endswith("+08:00") and written["account_id"] == fields["account_id"]


def test_log_lines_carry_no_terminal_colours() -> None:
    record = logging.makeLogRecord(
        {"name": "uvicorn.error", "msg": "Started \x1b[1mserver\x1b[0m", "levelname": "INFO"}
    )
    record.color_message = "Started \x1b[36mserver\x1b[0m"
    written = json.loads(JsonFormatter().format(record))
    assert written["msg"] == "Started server" and "color_message" not in written


async def test_a_failed_console_login_is_logged_without_the_password(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="xiangzhi.auth"):
        r = await client.post(
            "/api/v1/auth/token", data={"username": "nobody", "password": "secret-guess-1"}
        )
    assert r.status_code == 401
    [line] = [r for r in caplog.records if r.name == "xiangzhi.auth"]
    written = JsonFormatter().format(line)
    assert '"username": "nobody"' in written and '"client": "127.0.0.1"' in written
    assert "secret-guess-1" not in written


async def test_the_console_pages_may_load_only_their_own_assets(
    client: httpx.AsyncClient,
) -> None:
    for page in ("/docs", "/redoc"):
        policy = (await client.get(page)).headers["content-security-policy"]
        assert "default-src 'self'" in policy and "img-src 'self' data:" in policy
    assert "content-security-policy" not in (await client.get("/healthz")).headers

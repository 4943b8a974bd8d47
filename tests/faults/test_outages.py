"""With the database or Redis away, every answer is a 503 with Retry-After, which the phone
retries, never a 500, which it does not; and the request id is still there to trace it."""

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.main import create_app
from tests.conftest import make_settings
from tests.helpers.net import free_port

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _nobody_listens() -> int:
    return free_port()  # free now, and nothing of ours will take it


async def _answers(settings_overrides: dict[str, object]) -> list[httpx.Response]:
    app = create_app(make_settings(**settings_overrides), run_jobs_in_process=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [
                await client.post(
                    "/api/v1/auth/token", data={"username": "admin", "password": "x" * 12}
                ),
                await client.post("/api/v1/auth/wechat-login", json={"code": "abc"}),
                await client.post(
                    "/api/v1/auth/wechat-login",
                    json={"code": "abc"},
                    headers={"Idempotency-Key": "retry-me-0001"},
                ),
            ]


async def test_a_database_outage_is_503_everywhere() -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{_nobody_listens()}/gone"
    for answer in await _answers({"database_url": dead, "redis_url": None}):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "3"
        assert answer.json()["code"] == "service.database"
        assert answer.headers["x-request-id"]


async def test_a_redis_outage_is_503_not_500() -> None:
    dead = f"redis://127.0.0.1:{_nobody_listens()}/0"
    for answer in await _answers({"redis_url": dead}):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "3"
        assert answer.json()["code"] in {"service.cache", "service.database"}

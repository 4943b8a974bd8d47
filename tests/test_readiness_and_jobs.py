"""Readiness reports a dead database; jobs run in-process without Redis and on arq with it."""

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlmodel import select

from app.china_time import utcnow
from app.jobs import purge_expired, run_in_process
from app.main import create_app
from app.models.idempotency import IdempotencyRecord
from tests.conftest import make_settings


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # Nothing listens on port 1; a directory is not a database file.
    url = (
        "postgresql+asyncpg://nobody@127.0.0.1:1/none"
        if os.environ.get("XZ_DATABASE_URL")
        else f"sqlite+aiosqlite:///{tmp_path}"
    )
    app = create_app(make_settings(database_url=url), run_jobs_in_process=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = await client.get("/readyz")
            alive = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "down"
    assert alive.status_code == 200


async def _expired_record(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        session.add(
            IdempotencyRecord(
                owner="account:9",
                key="gone",
                request_hash="h",
                state="done",
                expires_at=utcnow() - timedelta(hours=1),
            )
        )


async def _remaining(app: FastAPI) -> list[str]:
    async with app.state.sessionmaker() as session:
        return list((await session.exec(select(IdempotencyRecord.key))).all())


async def test_in_process_scheduler_runs_the_periodic_jobs(app: FastAPI) -> None:
    await _expired_record(app)
    task = asyncio.create_task(
        run_in_process({"sessionmaker": app.state.sessionmaker}, tick_seconds=0.01)
    )
    for _ in range(200):
        if not await _remaining(app):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert await _remaining(app) == []


@pytest.mark.skipif(not os.environ.get("XZ_REDIS_URL"), reason="arq needs a real Redis")
async def test_arq_worker_runs_the_job_from_redis(app: FastAPI) -> None:
    await _expired_record(app)
    redis_settings = RedisSettings.from_dsn(os.environ["XZ_REDIS_URL"])
    pool = await create_pool(redis_settings)
    try:
        await pool.enqueue_job("purge_expired", _job_id="purge-test")
        # A second enqueue with the same id is dropped: two workers never run one job twice.
        assert await pool.enqueue_job("purge_expired", _job_id="purge-test") is None
        worker = Worker(
            functions=[purge_expired],
            redis_settings=redis_settings,
            burst=True,
            ctx={"sessionmaker": app.state.sessionmaker},
            poll_delay=0.01,
        )
        await worker.main()
        assert worker.jobs_complete == 1
        await worker.close()
    finally:
        await pool.aclose()
    assert await _remaining(app) == []

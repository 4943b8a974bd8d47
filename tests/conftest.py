"""Test harness: the real schema from the real migrations, on the database the environment names.

``XZ_DATABASE_URL`` / ``XZ_REDIS_URL`` point the suite at PostgreSQL and Redis; without them it
runs on a fresh SQLite file and the in-process Redis stand-in, as the embedded default does.
"""

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import command
from app.cli import alembic_config
from app.config import Settings
from app.db import row_cache
from app.main import create_app
from app.models import metadata
from tests.helpers.contract_seen import recording

pytest_plugins = [
    "tests.helpers.factories",
    "tests.helpers.fake_wechat",
    "tests.helpers.fake_wechat_pay",
    "tests.helpers.served",
    "tests.helpers.browser",
    "tests.e2e.demo_town",
]

TEST_JWT_SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("XZ_DATABASE_URL")
    return url or f"sqlite+aiosqlite:///{tmp_dir / 'test.db'}"


def make_settings(**overrides: object) -> Settings:
    base = Settings(
        database_url=os.environ["XZ_TEST_RESOLVED_DB"],
        redis_url=os.environ.get("XZ_REDIS_URL") or None,
        jwt_secret=TEST_JWT_SECRET,
        media_dir=Path(os.environ["XZ_TEST_RESOLVED_DB_DIR"]) / "media",
        wechat_mode="mock",
        env="dev",
    )
    return base.model_copy(update=overrides)


async def _reset_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> Iterator[str]:
    """An empty database brought to head by the migrations, once per run."""
    with tempfile.TemporaryDirectory(prefix="xz-test-") as tmp:
        url = _database_url(Path(tmp))
        os.environ["XZ_TEST_RESOLVED_DB"] = url
        os.environ["XZ_TEST_RESOLVED_DB_DIR"] = tmp
        asyncio.run(_reset_database(url))
        config = alembic_config(make_settings())
        config.attributes["quiet_logging"] = True
        command.upgrade(config, "head")
        yield url


@pytest.fixture(scope="session")
def settings(migrated_database: str) -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, run_jobs_in_process=False)
    async with LifespanManager(application):
        yield application


_TABLES = [t.name for t in reversed(metadata.sorted_tables)]


@pytest.fixture(autouse=True)
async def clean_state(app: FastAPI) -> AsyncIterator[None]:
    yield
    async with app.state.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text(f"TRUNCATE {', '.join(_TABLES)} RESTART IDENTITY CASCADE")
            )
        else:
            for table in _TABLES:
                await connection.execute(text(f"DELETE FROM {table}"))
    await app.state.cache.flushdb()
    row_cache.forget_everything()
    shutil.rmtree(app.state.storage.root, ignore_errors=True)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=recording(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c

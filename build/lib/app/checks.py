"""``xiangzhi check``: is this configuration able to serve? One line per dependency, so an
operator sees at once which of the database, Redis and WeChat is the problem."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.cache import create_cache
from app.config import Settings
from app.db import create_engine
from app.services.kit import WechatGateway, create_wechat_http


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


async def _database(settings: Settings, heads: set[str]) -> str:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its chatter is not a check's line
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

            def current(sync: Connection) -> set[str]:
                return set(MigrationContext.configure(sync).get_current_heads())

            at = await connection.run_sync(current)
    finally:
        await engine.dispose()
    if at != heads:
        raise RuntimeError(
            f"可连接，但数据库版本 {sorted(at) or '空'} 不是最新，请运行 xiangzhi migrate"
        )
    return f"可连接（{engine.dialect.name}），已迁移到最新"


async def _redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "未设置 XZ_REDIS_URL：嵌入式模式，限流与任务在本进程内"
    cache = create_cache(settings.redis_url)
    try:
        await cache.ping()
    finally:
        await cache.aclose()
    return "可连接"


async def _wechat(settings: Settings) -> str:
    if settings.effective_wechat_mode == "mock":
        return "模拟模式（mock），不连接微信"
    cache = create_cache(settings.redis_url)
    http = create_wechat_http(settings)
    try:
        await WechatGateway(settings=settings, cache=cache, http=http).access_token(refresh=True)
    finally:
        await http.aclose()
        await cache.aclose()
    return f"已取得 access_token（{settings.wechat_appid}）"


async def run_checks(settings: Settings, script: ScriptDirectory) -> list[Check]:
    heads = set(script.get_heads())
    probes: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("数据库", lambda: _database(settings, heads)),
        ("Redis", lambda: _redis(settings)),
        ("微信", lambda: _wechat(settings)),
    ]
    results = [Check("配置", True, f"已读取（XZ_ENV={settings.env}）")]
    for name, probe in probes:
        try:
            results.append(Check(name, True, await probe()))
        except RuntimeError as error:  # ours, already a sentence
            results.append(Check(name, False, str(error)))
        except Exception as error:  # every failure is a line of the report, not a traceback
            results.append(Check(name, False, f"连接失败：{error or type(error).__name__}"))
    return results

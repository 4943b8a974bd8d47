"""arq worker settings: ``xiangzhi worker`` runs these jobs on Redis, safe with many workers
(arq's cron runs each schedule once across workers through its job ids)."""

from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings

from app.cache import create_cache
from app.config import get_settings
from app.db import create_engine, create_sessionmaker
from app.jobs import DELIVERY_SECONDS, PERIODIC, deliver_notifications
from app.services.kit import WechatGateway, create_pay, create_storage, create_wechat_http


async def startup(ctx: dict[str, Any]) -> None:
    engine = create_engine(get_settings(), pre_ping=True)
    ctx["engine"] = engine
    ctx["cache"] = create_cache(get_settings().redis_url)
    ctx["sessionmaker"] = create_sessionmaker(engine, ctx["cache"])
    settings = get_settings()
    ctx["settings"] = settings
    http = create_wechat_http(settings) if settings.effective_wechat_mode == "live" else None
    ctx["wechat_http"] = http
    ctx["wechat"] = WechatGateway(settings=settings, cache=ctx["cache"], http=http)
    ctx["pay"] = create_pay(settings)
    ctx["storage"] = create_storage(settings)


async def shutdown(ctx: dict[str, Any]) -> None:
    if ctx.get("pay") is not None:
        await ctx["pay"].aclose()
    if ctx.get("wechat_http") is not None:
        await ctx["wechat_http"].aclose()
    await ctx["cache"].aclose()
    await ctx["engine"].dispose()


def _minutes(every: int) -> set[int]:
    return set(range(0, 60, every))


class WorkerSettings:
    functions: ClassVar[list[Any]] = [p.job for p in PERIODIC] + [deliver_notifications]
    cron_jobs: ClassVar[list[Any]] = [
        cron(p.job, minute=_minutes(p.every_minutes), unique=True)  # type: ignore[arg-type]
        for p in PERIODIC
    ] + [
        cron(
            deliver_notifications,  # type: ignore[arg-type]
            second=set(range(0, 60, DELIVERY_SECONDS)),
            unique=True,
        )
    ]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url or "redis://127.0.0.1:6379")

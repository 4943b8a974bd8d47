"""The application factory: middleware, routers and the lifespan that owns shared clients."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version as package_version
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app import console, contract, tuning
from app.cache import create_cache
from app.config import Settings, get_settings
from app.contract import operation_id
from app.db import create_engine, create_sessionmaker, read_engine
from app.db.background import Background
from app.db.group_commit import Writers
from app.errors import install_error_handlers
from app.idempotency.middleware import IdempotencyMiddleware
from app.jobs import deliver_in_process, run_in_process
from app.middleware.body_limit import BodyLimitMiddleware
from app.middleware.request_context import RequestContextMiddleware
from app.routers import (
    audit,
    auth,
    contact,
    contest,
    cooperatives,
    dashboard,
    development,
    dues,
    duty,
    events,
    feed,
    grid,
    health,
    me,
    media,
    members,
    notifications,
    party_life,
    points,
    privacy,
    proposals,
    roster,
    shop,
    stars,
    volunteer,
    warnings,
    wechat_push,
)
from app.services.kit import WechatGateway, create_pay, create_storage, create_wechat_http
from app.services.notifications import subscriptions

log = logging.getLogger("xiangzhi")

# A 5,000-row 花名册 in xlsx is well under a megabyte; room for far bigger villages.
ROSTER_MAX_BYTES = 10 * 1024 * 1024

DESCRIPTION = """乡治：党建与乡村治理小程序的后端与管理后台 API。

手机端用微信登录（`/api/v1/auth/wechat-login`），管理后台用账号密码登录
（右上角 **Authorize**，即 `/api/v1/auth/token`）。错误均为 `application/problem+json`，
带稳定的 `code` 与中文 `detail`。"""


MAX_JSON_BODY = 1024 * 1024
# The routers in the order the contract documents them (by topic).
ROUTERS = (
    health,
    auth,
    me,
    roster,
    points,
    stars,
    events,
    party_life,
    members,
    dues,
    media,
    feed,
    grid,
    audit,
    dashboard,
    volunteer,
    shop,
    duty,
    proposals,
    contact,
    cooperatives,
    development,
    contest,
    warnings,
    privacy,
    notifications,
    wechat_push,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    cache = create_cache(settings.redis_url)
    http = create_wechat_http(settings) if settings.effective_wechat_mode == "live" else None
    app.state.engine = engine
    # With Redis the principal is cached between requests (commits that change it bump
    # its version in the cache the sessions are given).
    app.state.principal_cache = cache if settings.remembers_principals else None
    app.state.sessionmaker = create_sessionmaker(engine, cache)
    app.state.read_sessionmaker = create_sessionmaker(read_engine(engine), cache)
    app.state.cache = cache
    app.state.wechat = WechatGateway(settings=settings, cache=cache, http=http)
    app.state.storage = create_storage(settings)
    app.state.pay = create_pay(settings)
    app.state.media_gate = asyncio.Semaphore(settings.media_concurrency)
    app.state.background = Background(app.state.sessionmaker)
    # The group-commit writers (check-ins, redemptions, Idempotency-Key claims and answers)
    # start when a route first asks for one: each domain declares its own.
    app.state.writers = Writers(
        app.state.sessionmaker, settings, postgres=engine.dialect.name == "postgresql"
    )
    scheduler = None
    if settings.redis_url is None and app.state.run_jobs_in_process:
        # No Redis, so no separate worker: this single process runs the periodic jobs itself.
        jobs_ctx = {
            "sessionmaker": app.state.sessionmaker,
            "cache": cache,
            "settings": settings,
            "wechat": app.state.wechat,
            "pay": app.state.pay,
            "storage": app.state.storage,
        }
        scheduler = asyncio.gather(run_in_process(jobs_ctx), deliver_in_process(jobs_ctx))
    tuning.settle_after_startup()
    try:
        yield
    finally:
        await app.state.writers.close()
        await app.state.background.close()
        if scheduler is not None:
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
        if http is not None:
            await http.aclose()
        await app.state.pay.aclose()
        await cache.aclose()
        await engine.dispose()


def create_app(settings: Settings | None = None, *, run_jobs_in_process: bool = True) -> FastAPI:
    settings = settings or get_settings()
    subscriptions.check_templates(settings.wechat_templates)
    # The offline docs need the contract served; with docs off there is neither.
    factory: Callable[..., FastAPI] = FastAPIOffline if settings.docs_enabled else FastAPI
    docs: dict[str, Any] = (
        {} if settings.docs_enabled else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    )
    app = factory(
        title="乡治 Xiangzhi",
        version=package_version("xiangzhi"),
        generate_unique_id_function=operation_id,
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
        **docs,
    )
    contract.install(app, documented=[r.router for r in ROUTERS])
    app.state.settings = settings
    app.state.run_jobs_in_process = run_jobs_in_process
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    # JSON bodies are small; uploads get the photo limit (plus room for the multipart framing).
    upload_limit = (app.state.settings.media_max_bytes + 64 * 1024, "media.too_large")
    roster_limit = (ROSTER_MAX_BYTES, "request.too_large")
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=MAX_JSON_BODY,
        limits={
            "/api/v1/media": upload_limit,
            "/api/v1/admin/roster/imports": roster_limit,
            "/console/roster-import": roster_limit,
        },
    )
    app.add_middleware(RequestContextMiddleware)
    # The contract documents the routers by topic; FastAPI tries them in include order on
    # every request, at ~2 µs a route, so the ones a phone calls most (opening the app, a
    # Party day's check-in, the feed, the shop's rush) go first. No two routers share a path.
    hot = (health, auth, me, events, feed, shop)
    for module in sorted(ROUTERS, key=lambda m: m not in hot):
        app.include_router(module.router)
    app.include_router(points.keys_router)
    console.install(app)
    return app

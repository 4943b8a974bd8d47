"""The application factory: middleware, routers and the lifespan that owns shared clients."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version as package_version
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app import contract
from app.cache import create_cache
from app.config import Settings, get_settings
from app.contract import operation_id
from app.db import create_engine, create_sessionmaker, read_engine
from app.errors import install_error_handlers
from app.jobs import deliver_in_process, run_in_process
from app.middleware.body_limit import BodyLimitMiddleware
from app.middleware.idempotency import IdempotencyMiddleware
from app.middleware.request_context import RequestContextMiddleware
from app.routers import (
    audit,
    auth,
    contact,
    contest,
    cooperatives,
    dashboard,
    development,
    duty,
    events,
    feed,
    grid,
    health,
    me,
    media,
    notifications,
    points,
    proposals,
    roster,
    shop,
    stars,
    volunteer,
    wechat_push,
)
from app.services.events import scans
from app.services.kit import (
    Background,
    IdempotencyAnswerWriter,
    IdempotencyClaimWriter,
    WechatGateway,
    create_storage,
    create_wechat_http,
)
from app.services.notifications import subscriptions
from app.services.shop import RedemptionWriter

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
    app.state.media_gate = asyncio.Semaphore(settings.media_concurrency)
    app.state.background = Background(app.state.sessionmaker)
    # Grouped, two writers: one prepares its group while the other waits on PostgreSQL.
    # XZ_GROUP_CHECKINS / XZ_GROUP_REDEMPTIONS=false write each alone, as many at once as the
    # pool allows. SQLite has one writer whatever is asked.
    postgres = engine.dialect.name == "postgresql"

    def shape(grouped: bool) -> dict[str, int]:
        writers = 2 if grouped else settings.database_pool_size
        return {"writers": writers if postgres else 1, "most": 200 if grouped else 1}

    app.state.checkin_writer = scans.CheckinWriter(
        app.state.sessionmaker, **shape(settings.group_checkins)
    )
    # A village shop's rush on one item is rung up in groups the same way.
    app.state.redemption_writer = RedemptionWriter(
        app.state.sessionmaker, **shape(settings.group_redemptions)
    )
    # Every phone's write claims its Idempotency-Key in a commit of its own, and most store
    # their answer in one after: at a rush, these are written together.
    app.state.claim_writer = IdempotencyClaimWriter(app.state.sessionmaker, **shape(True))
    app.state.answer_writer = IdempotencyAnswerWriter(app.state.sessionmaker, **shape(True))
    scheduler = None
    if settings.redis_url is None and app.state.run_jobs_in_process:
        # No Redis, so no separate worker: this single process runs the periodic jobs itself.
        jobs_ctx = {
            "sessionmaker": app.state.sessionmaker,
            "cache": cache,
            "settings": settings,
            "wechat": app.state.wechat,
        }
        scheduler = asyncio.gather(run_in_process(jobs_ctx), deliver_in_process(jobs_ctx))
    # What startup built (routes, models, compiled statements) lives as long as the process:
    # out of the collector's sight, a full collection under load does not walk it again.
    gc.collect()
    gc.freeze()
    # Young collections every 20,000 allocations, not 700: a burst's requests allocate and
    # free thousands of objects each, and the collector's share of the server's CPU under the
    # check-in burst fell from ~5 % to ~2 % (0.37 s to 0.17 s of ~7 s).
    gc.set_threshold(20_000, 20, 10)
    try:
        yield
    finally:
        for writer in (
            app.state.checkin_writer,
            app.state.redemption_writer,
            app.state.claim_writer,
            app.state.answer_writer,
        ):
            await writer.idle()
            log.info("group commit: %s", writer.summary())
        await app.state.background.close()
        if scheduler is not None:
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler
        if http is not None:
            await http.aclose()
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
        limits={"/api/v1/media": upload_limit, "/api/v1/admin/roster/imports": roster_limit},
    )
    app.add_middleware(RequestContextMiddleware)
    # The contract documents the routers by topic; FastAPI tries them in include order on
    # every request, at ~2 µs a route, so the ones a phone calls most (opening the app, a
    # Party day's check-in, the feed, the shop's rush) go first. No two routers share a path.
    hot = (health, auth, me, events, feed, shop)
    for module in sorted(ROUTERS, key=lambda m: m not in hot):
        app.include_router(module.router)
    return app

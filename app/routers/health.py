"""Liveness and readiness probes."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.db.archive import archive_warning

router = APIRouter(tags=["健康检查"])


@router.get("/healthz", summary="进程存活")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check(probe: Any) -> str:
    try:
        await asyncio.wait_for(probe(), timeout=2.0)
    except Exception:  # any failure of a dependency is "not ready", never a 500
        return "down"
    return "ok"


@router.get("/readyz", summary="数据库与缓存可用", response_model=None)
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state

    async def database() -> None:
        async with state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def cache() -> None:
        await state.cache.ping()

    checks = {"database": await _check(database), "cache": await _check(cache)}
    ready = all(v == "ok" for v in checks.values())
    warnings = []
    if checks["database"] == "ok":
        try:
            async with state.engine.connect() as connection:
                said = await asyncio.wait_for(
                    archive_warning(
                        connection, max_segments=state.settings.wal_archive_warn_segments
                    ),
                    timeout=2.0,
                )
        except Exception:  # a probe of the archive never makes the service unready
            said = None
        if said:
            warnings.append({"check": "wal_archive", "detail": said})
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks, "warnings": warnings},
        status_code=200 if ready else 503,
    )

"""Listing grid tasks of a village with 50,000 tasks (and as many in other villages), first page
and a deep cursor page, on PostgreSQL.

    python -m bench.grid [--tasks 50000] [--calls 300]

Tasks are generated with SQL into a scratch database ``xz_bench_grid``; the list service and
the answer's shaping are timed in-process, each call in its own session, as a village admin
and as a grid worker. Aim: p99 under 50 ms.
"""

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.models.grid import TaskStatus
from app.models.roster import Role, ScopeType
from app.services.grid import tasks as grid
from app.services.grid import views as grid_views
from app.services.identity.scopes import Grant, Principal
from app.services.kit.pagination import encode_cursor
from app.services.kit.storage import LocalStorage
from bench.harness import record, scratch_database

TASKS = (
    "INSERT INTO grid_tasks (town_id, village_id, grid_id, origin, category, title, description,"
    " priority, due_at, status, media_ids, resembles, created_at, updated_at)"
    " SELECT 2000, v, 2000 + (v - 2001) * 10 + g % 10 + 1, 'reported',"
    " (ARRAY['sanitation','safety_hazard','dispute','livelihood','errand','other'])[g % 6 + 1],"
    " '基准任务 ' || g, '村口有垃圾', 'normal',"
    " now() - (g || ' minutes')::interval + interval '72 hours',"
    " (ARRAY['reported','accepted','in_progress','resolved','closed','rejected'])[g % 7 % 6 + 1],"
    " '[]', '[]', now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval"
    " FROM (SELECT g, {village} AS v FROM generate_series(1, :tasks) g) s"
)
GENERATE = [
    "INSERT INTO towns (id, name, rankings_enabled, appeal_days, member_star_points,"
    " grid_due_hours, created_at) VALUES (2000, '基准镇', true, 7, '[40,60,80,100]',"
    ' \'{"urgent": 4, "high": 24, "normal": 72, "low": 168}\', now())',
    "INSERT INTO villages (id, town_id, name, created_at)"
    " SELECT 2000 + g, 2000, '基准村' || g, now() FROM generate_series(1, 10) g",
    "INSERT INTO grids (id, town_id, village_id, name, created_at)"
    " SELECT 2000 + g, 2000, 2000 + (g - 1) / 10 + 1, '网格' || g, now()"
    " FROM generate_series(1, 100) g",
    # Village 2001 gets :tasks tasks over its 10 grids; the other nine share as many again.
    TASKS.format(village="2001"),
    TASKS.format(village="2002 + g % 9"),
]


async def _time(maker: Any, storage: LocalStorage, calls: int, **query: Any) -> dict[str, Any]:
    samples = []
    items = 0
    for _ in range(calls):
        async with maker() as session:
            started = time.perf_counter()
            page = await grid.list_tasks(session, **query)
            shown = await grid_views.present(session, page.items, storage)
            samples.append((time.perf_counter() - started) * 1000)
            items = len(shown)
    cuts = statistics.quantiles(samples, n=100)
    return {"items": items, "p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2)}


async def run(env: dict[str, str], tasks: int, calls: int) -> dict[str, Any]:
    settings = Settings(database_url=env["XZ_DATABASE_URL"])
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    storage = LocalStorage(Path("/tmp/xz-bench-media"), secret="bench")
    try:
        started = time.perf_counter()
        async with maker() as session, session.begin():
            for sql in GENERATE:
                await session.execute(text(sql), {"tasks": tasks})
        async with maker() as session:
            await session.execute(text("ANALYZE"))
            deep = (
                await session.execute(
                    text(
                        "SELECT created_at, id FROM grid_tasks WHERE village_id = 2001"
                        " ORDER BY created_at DESC, id DESC OFFSET :n LIMIT 1"
                    ),
                    {"n": tasks * 4 // 5},
                )
            ).one()
        generated = round(time.perf_counter() - started, 1)
        admin = Principal(
            account_id=0,
            person_id=None,
            session_id="bench",
            grants=(Grant(Role.village_admin, ScopeType.village, 2001, town_id=2000),),
        )
        worker = Principal(
            account_id=0,
            person_id=None,
            session_id="bench",
            grants=(Grant(Role.grid_worker, ScopeType.grid, 2001, town_id=2000),),
        )
        base = {
            "status": None,
            "grid_id": None,
            "village_id": None,
            "category": None,
            "overdue": None,
            "limit": 20,
        }
        cursor = encode_cursor([deep.created_at, deep.id])
        cases = {
            "village_first_page": {**base, "principal": admin, "cursor": None},
            "village_deep_page": {**base, "principal": admin, "cursor": cursor},
            "village_status_filter": {
                **base,
                "principal": admin,
                "cursor": None,
                "status": TaskStatus.in_progress,
            },
            "village_overdue_filter": {
                **base,
                "principal": admin,
                "cursor": None,
                "overdue": True,
            },
            "grid_worker_first_page": {**base, "principal": worker, "cursor": None},
        }
        timings = {
            name: await _time(maker, storage, calls, **query) for name, query in cases.items()
        }
        return {"generated_seconds": generated, "lists": timings}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with scratch_database("xz_bench_grid") as env:
        result = asyncio.run(run(env, args.tasks, args.calls))
    line = json.dumps(
        {
            "bench": "grid task lists",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tasks_in_village": args.tasks,
            **result,
        },
        ensure_ascii=False,
    )
    print(line)
    record("grid", line)


if __name__ == "__main__":
    main()

"""Ledger postings per second (one hot account, many accounts) and the leaderboard over 100,000
households and 2,000,000 entries, on PostgreSQL.

    python -m bench.points [--households 100000] [--entries 2000000] [--postings 2000]

Postings go through the real ledger service, each in its own transaction, 32 at a time. The
leaderboard data is generated with SQL (generate_series) straight into the tables the ledger
writes, then summed into the period totals the way postings keep them; the leaderboard service
is timed over many calls.
"""

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.models.points import Ledger, OwnerType, PointsAccount, SourceType
from app.models.roster import Role, ScopeType
from app.services.identity.scopes import Grant, Principal
from app.services.points import chain, ledger
from app.services.points.leaderboard import leaderboard, period_key
from bench.harness import record, scratch_database

CONCURRENCY = 32


async def _postings(maker: Any, account_ids: list[int], count: int) -> dict[str, float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(account_ids[i % len(account_ids)])

    async def worker() -> None:
        while not queue.empty():
            account_id = queue.get_nowait()
            async with maker() as session, session.begin():
                account = await session.get(PointsAccount, account_id)
                posting = ledger.Posting(title="基准", points_each=1, source_type=SourceType.manual)
                await ledger.post(session, account=account, posting=posting, actor=None)

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
    elapsed = time.perf_counter() - started
    return {
        "postings": count,
        "seconds": round(elapsed, 2),
        "per_second": round(count / elapsed, 1),
    }


GENERATE = [
    "INSERT INTO towns (id, name, rankings_enabled, appeal_days, member_star_points, created_at)"
    " VALUES (1000, '基准镇', true, 7, '[40,60,80,100]', now())",
    "INSERT INTO villages (id, town_id, name, created_at)"
    " SELECT 1000 + g, 1000, '基准村' || g, now() FROM generate_series(1, 100) g",
    "INSERT INTO households (id, town_id, village_id, head_name, created_at)"
    " SELECT 100000 + g, 1000, 1000 + (g % 100) + 1, '户主' || g, now()"
    " FROM generate_series(1, :households) g",
    "INSERT INTO points_accounts (id, ledger, owner_type, owner_id, town_id, village_id, balance,"
    " entry_count, created_at)"
    " SELECT 100000 + g, 'household', 'household', 100000 + g, 1000, 1000 + (g % 100) + 1, 0, 0,"
    " now() FROM generate_series(1, :households) g",
    "INSERT INTO ledger_entries (account_id, town_id, village_id, status, points,"
    " requested_points, capped, title, quantity, source_type, media_ids, created_at, posted_at)"
    " SELECT 100000 + (g % :households) + 1, 1000, 1000 + ((g % :households) + 1) % 100 + 1,"
    " 'posted', (g::bigint * 7919) % 20 + 1, (g::bigint * 7919) % 20 + 1, false, '基准', 1,"
    " 'manual', '[]',"
    " now() - ((g % 400) || ' days')::interval, now() - ((g % 400) || ' days')::interval"
    " FROM generate_series(1, :entries) g",
    "UPDATE points_accounts a SET balance = s.total, entry_count = s.n FROM"
    " (SELECT account_id, sum(points) AS total, count(*) AS n FROM ledger_entries"
    "  GROUP BY account_id) s WHERE a.id = s.account_id",
]
TOTALS = (
    "INSERT INTO points_totals (account_id, ledger, period, town_id, village_id, earned)"
    " SELECT e.account_id, 'household', {period}, 1000, min(e.village_id), sum(e.points)"
    " FROM ledger_entries e WHERE e.account_id > 100000 {where} GROUP BY e.account_id"
)


async def _generate(maker: Any, households: int, entries: int) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    async with maker() as session, session.begin():
        for sql in GENERATE:
            await session.execute(text(sql), {"households": households, "entries": entries})
        local = "to_char(e.created_at AT TIME ZONE 'Asia/Shanghai', '{fmt}') = '{value}'"
        periods = [
            ("'all'", ""),
            (f"'Y{now.year}'", "AND " + local.format(fmt="YYYY", value=now.year)),
            (
                f"'M{now.year}-{now.month:02d}'",
                "AND " + local.format(fmt="YYYY-MM", value=f"{now.year}-{now.month:02d}"),
            ),
        ]
        for period, where in periods:
            await session.execute(text(TOTALS.format(period=period, where=where)))
    async with maker() as session:
        await session.execute(text("ANALYZE"))
    return round(time.perf_counter() - started, 1)


async def _time_board(maker: Any, principal: Principal, **where: Any) -> dict[str, float]:
    samples = []
    for _ in range(200):
        async with maker() as session:
            started = time.perf_counter()
            board = await leaderboard(
                session, principal=principal, book=Ledger.household, limit=50, **where
            )
            samples.append((time.perf_counter() - started) * 1000)
    assert 0 < len(board.items) <= 50
    cuts = statistics.quantiles(samples, n=100)
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2)}


async def run(env: dict[str, str], households: int, entries: int, postings: int) -> dict[str, Any]:
    settings = Settings(database_url=env["XZ_DATABASE_URL"], database_pool_size=CONCURRENCY)
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    try:
        generated = await _generate(maker, households, entries)
        # Fresh accounts (no generated history) so their chains can be verified afterwards.
        owners = [
            ledger.Owner(OwnerType.household, 900_000 + i, 1000, 1000 + i % 100 + 1)
            for i in range(1, 1001)
        ]
        async with maker() as session, session.begin():
            accounts = [
                await ledger.account_for(session, ledger=Ledger.household, owner=o) for o in owners
            ]
        hot = await _postings(maker, [accounts[0].id or 0], postings)
        spread = await _postings(maker, [a.id or 0 for a in accounts], postings)
        async with maker() as session:
            hot_account = await session.get(PointsAccount, accounts[0].id)
            assert hot_account is not None
            check = await chain.verify(session, account=hot_account)
        spread_to_first = len(range(0, postings, len(accounts)))
        assert check.ok and check.entries == postings + spread_to_first, check
        principal = Principal(
            account_id=0,
            person_id=None,
            session_id="bench",
            grants=(Grant(Role.superadmin, ScopeType.global_, None),),
        )
        boards = {
            f"village_{period}": await _time_board(
                maker, principal, period=period, village_id=1001, town_id=None
            )
            for period in ("year", "month", "all")
        }
        boards["town_all"] = await _time_board(
            maker, principal, period="all", village_id=None, town_id=1000
        )
        return {
            "generated_seconds": generated,
            "postings_hot_account": hot,
            "postings_many_accounts": spread,
            "leaderboard": boards,
            "period_key": period_key("year"),
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--postings", type=int, default=2000)
    args = parser.parse_args()
    with scratch_database("xz_bench_points") as env:
        result = asyncio.run(run(env, args.households, args.entries, args.postings))
    line = json.dumps(
        {
            "bench": "points",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "households": args.households,
            "entries": args.entries,
            **result,
        },
        ensure_ascii=False,
    )
    print(line)
    record("points", line)


if __name__ == "__main__":
    main()

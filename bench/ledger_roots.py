"""A town of 100,000 ledger entries on PostgreSQL: building the day's signed head (logging every
entry and hashing the tree), one inclusion proof (p50 and p99 of 200, each for a random entry),
and one consistency proof between two heads.

    python -m bench.ledger_roots [--entries 100000] [--accounts 2000]

The entries are written straight into the table (with their account chains, as the ledger
writes them) so that the run measures the log, not the postings. A posting itself pays nothing
for the log: entries join it when the head is signed, not when they are posted.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from typing import Any

from sqlalchemy import insert

from app.china_time import utcnow
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.models.base import id_of
from app.models.points import EntryStatus, Ledger, LedgerEntry, OwnerType, PointsAccount, SourceType
from app.models.roster import Town
from app.services.identity import command_line_operator
from app.services.points import chain, roots
from bench.harness import record, scratch_database

KEY = "YmVuY2gtb25seS1sZWRnZXIta2V5LWZvci1ydW4hISE="


async def _fill(settings: Settings, entries: int, accounts: int) -> int:
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    async with maker() as session, session.begin():
        town = Town(name="基准镇")
        session.add(town)
        await session.flush()
        owners = [
            PointsAccount(
                ledger=Ledger.household,
                owner_type=OwnerType.household,
                owner_id=i + 1,
                town_id=town.id,
            )
            for i in range(accounts)
        ]
        session.add_all(owners)
        await session.flush()
        state = {id_of(a): (0, None, 0) for a in owners}  # seq, head hash, balance
        rows: list[dict[str, Any]] = []
        now = utcnow()
        for n in range(entries):
            account = owners[n % accounts]
            seq, prev, balance = state[id_of(account)]
            entry = LedgerEntry(
                account_id=id_of(account),
                town_id=town.id,
                seq=seq + 1,
                status=EntryStatus.posted,
                points=5,
                requested_points=5,
                balance_after=balance + 5,
                title="环境清扫",
                rule_code="clean",
                source_type=SourceType.manual,
                posted_at=now,
                prev_hash=prev,
            )
            entry.hash = chain.entry_hash(entry, prev)
            state[id_of(account)] = (seq + 1, entry.hash, balance + 5)
            rows.append({k: v for k, v in entry.model_dump().items() if k != "id"})
            if len(rows) == 5000:
                await session.execute(insert(LedgerEntry), rows)
                rows = []
        if rows:
            await session.execute(insert(LedgerEntry), rows)
    await engine.dispose()
    return id_of(town)


async def _measure(settings: Settings, town_id: int, entries: int) -> dict[str, Any]:
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    keys = roots.Keys(default=KEY, towns={})
    operator = command_line_operator()
    async with maker() as session, session.begin():
        start = time.perf_counter()
        first, _ = await roots.sign_head(session, town_id=town_id, keys=keys)
        build = time.perf_counter() - start
    ids = [i + 1 for i in random.sample(range(entries), 200)]
    timings = []
    async with maker() as session:
        for entry_id in ids:
            start = time.perf_counter()
            await roots.inclusion(session, principal=operator, entry_id=entry_id)
            timings.append(time.perf_counter() - start)
    async with maker() as session, session.begin():
        session.add(
            LedgerEntry(
                account_id=1,
                town_id=town_id,
                seq=None,
                status=EntryStatus.pending,
                points=1,
                requested_points=1,
                title="x",
                source_type=SourceType.manual,
            )
        )
        second, _ = await roots.sign_head(session, town_id=town_id, keys=keys)
    async with maker() as session:
        start = time.perf_counter()
        await roots.consistency(
            session, town_id=town_id, from_size=first.tree_size, to_size=second.tree_size
        )
        consistency = time.perf_counter() - start
    await engine.dispose()
    timings.sort()
    return {
        "entries": entries,
        "build_head_s": round(build, 2),
        "inclusion_p50_ms": round(timings[len(timings) // 2] * 1000, 1),
        "inclusion_p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 1),
        "consistency_ms": round(consistency * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    args = parser.parse_args()
    with scratch_database("xz_bench_roots") as env:
        settings = Settings(database_url=env["XZ_DATABASE_URL"])
        print(f"写入 {args.entries} 条积分记录……", file=sys.stderr, flush=True)
        town_id = asyncio.run(_fill(settings, args.entries, args.accounts))
        print("签名、取证明……", file=sys.stderr, flush=True)
        result = {
            "at": utcnow().isoformat(),
            **asyncio.run(_measure(settings, town_id, args.entries)),
        }
    record("ledger_roots", json.dumps(result))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""A town-wide burst: 2,000 members check in to one event from 100 concurrent connections, on
PostgreSQL + Redis with one worker, beside a bare asyncpg INSERT baseline in the same run.

    python -m bench.checkin [--members 2000] [--connections 100] [--workers 1] [--cold]
                            [--alone] [--rounds N]

Needs wrk (Debian's package). Afterwards it checks that every request was answered and that
there are exactly as many attendances and ledger entries as members.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, text
from sqlmodel import select

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.models.auth import UserAccount
from app.models.events import Attendance, PartyEvent
from app.models.points import LedgerEntry, ScoringRule
from app.models.roster import Branch, Person, Town, Village
from app.services.identity.auth import issue_pair
from app.services.kit import qr_tokens
from bench.harness import (
    ROOT,
    cpu_seconds,
    free_port,
    profiled,
    record,
    scratch_database,
    server,
)
from bench.load import _ms

THREADS = 2
ROTATE = 3600  # the code must not rotate mid-run


async def _prepare(settings: Settings, members: int, token_file: Path) -> int:
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    async with maker() as session, session.begin():
        town = Town(name="基准镇")
        session.add(town)
        await session.flush()
        village = Village(town_id=town.id or 0, name="基准村")
        session.add(village)
        await session.flush()
        branch = Branch(town_id=town.id or 0, village_id=village.id, name="基准党支部")
        session.add(branch)
        session.add(
            ScoringRule(
                town_id=town.id or 0,
                code="party_day",
                title="参加主题党日",
                ledger="member",
                points=5,
                unit="once",
            )
        )
        await session.flush()
        now = datetime.now(UTC)
        event = PartyEvent(
            town_id=town.id or 0,
            village_id=village.id,
            branch_id=branch.id or 0,
            kind="party_day",
            title="全镇主题党日",
            starts_at=now + timedelta(minutes=5),
            ends_at=now + timedelta(hours=2),
            checkin_opens_at=now - timedelta(minutes=5),
            checkin_closes_at=now + timedelta(hours=1),
            rule_code="party_day",
        )
        session.add(event)
        await session.flush()
        lines = []
        for i in range(members):
            person = Person(
                town_id=town.id,
                village_id=village.id,
                branch_id=branch.id,
                name=f"党员{i}",
                phone=f"1{i:010d}",
                is_party_member=True,
            )
            session.add(person)
            await session.flush()
            account = UserAccount(person_id=person.id)
            session.add(account)
            await session.flush()
            lines.append((await issue_pair(session, settings, account)).access_token)
        tokens_text = "\n".join(lines) + "\n"
        event_id = event.id or 0
    await engine.dispose()
    token_file.write_text(tokens_text)  # noqa: ASYNC240 - once, before any load
    return event_id


async def open_the_app(url: str, token_file: Path) -> None:
    """Each member opens the mini-program before scanning, as on a real Party day (it asks for
    /me on launch): the burst then meets principals already cached, not 2,000 cold ones."""
    tokens = token_file.read_text().split()  # noqa: ASYNC240 - once, before any load
    gate = asyncio.Semaphore(20)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def one(token: str) -> None:
            async with gate:
                answer = await client.get(
                    "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                )
                answer.raise_for_status()

        await asyncio.gather(*(one(t) for t in tokens))


def burst(
    url: str,
    path: str,
    body: str,
    token_file: Path,
    connections: int,
    seconds: int,
    *,
    idempotent: bool = False,
) -> dict[str, Any]:
    """One POST per token from wrk (``bench/checkin.lua``); ``idempotent`` sends each with its
    own Idempotency-Key."""
    env = {
        **os.environ,
        "BENCH_TOKENS": str(token_file),
        "BENCH_THREADS": str(THREADS),
        "BENCH_PATH": path,
        "BENCH_BODY": body,
        "BENCH_IDEMPOTENCY": "1" if idempotent else "0",
    }
    script = str(ROOT / "bench" / "checkin.lua")
    out = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script,
            url,
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M)
    return {
        "non_2xx": int(bad.group(1)) if bad else 0,
        "p50_ms": _ms(p50.group(1)) if p50 else None,
        "p99_ms": _ms(p99.group(1)) if p99 else None,
    }


async def _count(settings: Settings) -> dict[str, float]:
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        attendances = (await session.exec(select(func.count()).select_from(Attendance))).one()
        entries = (
            await session.exec(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.source_type == "checkin")
            )
        ).one()
        # Throughput as the server saw it: rows written over the span from first to last.
        span = (
            await session.execute(
                text(
                    "SELECT extract(epoch FROM max(created_at) - min(created_at)) FROM attendances"
                )
            )
        ).scalar()
    await engine.dispose()
    return {
        "attendances": attendances,
        "ledger_entries": entries,
        "span_seconds": float(span or 0),
    }


async def _baseline_rate(settings: Settings) -> float:
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        rows, span = (
            await session.execute(
                text("SELECT count(*), extract(epoch FROM max(at) - min(at)) FROM bench_checkins")
            )
        ).one()
    await engine.dispose()
    return round(int(rows) / max(float(span or 0), 1e-3), 1)


def baseline_burst(
    env: dict[str, str], settings: Settings, body: str, token_file: Path, connections: int
) -> dict[str, Any]:
    """The bare baseline (one asyncpg INSERT per request) driven like the service, in the same
    run; its rate read from its own rows, first to last."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        *(sys.executable, "-m", "uvicorn", "bench.baseline_insert:app"),
        *("--port", str(port), "--log-level", "warning", "--no-access-log"),
    ]
    with server(command, env, url):
        answered = burst(url, "/", body, token_file, connections, seconds=10)
    return {**answered, "rps": asyncio.run(_baseline_rate(settings))}


def one_round(args: argparse.Namespace) -> dict[str, Any]:
    """One burst on a fresh database, then its baseline: the ratio of two adjacent runs."""
    with scratch_database("xz_bench_checkin") as env, tempfile.TemporaryDirectory() as tmp:
        # 40 connections in all, however many workers share them (PostgreSQL allows 100).
        pool = str(max(4, 40 // args.workers))
        env = {**env, "XZ_QR_ROTATE_SECONDS": str(ROTATE), "XZ_DATABASE_POOL_SIZE": pool}
        if args.alone:
            env["XZ_GROUP_CHECKINS"] = "false"
        settings = Settings(database_url=env["XZ_DATABASE_URL"], qr_rotate_seconds=ROTATE)
        token_file = Path(tmp) / "tokens.txt"
        event_id = asyncio.run(_prepare(settings, args.members, token_file))
        qr, _ = qr_tokens.issue(
            qr_tokens.QrSettings(settings.qr_secret, ROTATE),
            qr_tokens.Purpose.event,
            event_id,
            now=datetime.now(UTC),
        )
        body = json.dumps({"token": qr})
        port = free_port()
        serve = [sys.executable, "-m", "app.cli", "serve"]
        url = f"http://127.0.0.1:{port}"
        with server(
            [*serve, "--port", str(port), "--workers", str(args.workers)], env, f"{url}/healthz"
        ) as served:
            if not args.cold:
                asyncio.run(open_the_app(url, token_file))
            before = cpu_seconds(served.pid), cpu_seconds(user="postgres")
            with profiled(served.pid):
                service = burst(
                    url,
                    f"/api/v1/events/{event_id}/checkins",
                    body,
                    token_file,
                    args.connections,
                    seconds=max(15, args.members // 40),
                )
            used = cpu_seconds(served.pid) - before[0], cpu_seconds(user="postgres") - before[1]
        baseline = baseline_burst(env, settings, body, token_file, args.connections)
        counts = asyncio.run(_count(settings))
    service["rps"] = round(counts["attendances"] / max(counts["span_seconds"], 1e-3), 1)
    # CPU per check-in, for the capacity estimate (wrk's repeats after the last one are few).
    service["server_cpu_ms_each"] = round(1000 * used[0] / args.members, 2)
    service["postgres_cpu_ms_each"] = round(1000 * used[1] / args.members, 2)
    return {
        "bench": "check-in burst",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "members": args.members,
        "connections": args.connections,
        "workers": args.workers,
        "warm": not args.cold,
        "grouped": not args.alone,
        "service": service,
        "baseline": baseline,
        "rps_ratio": round(service["rps"] / baseline["rps"], 3),
        **counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--cold", action="store_true", help="skip each member opening the app (GET /me) first"
    )
    parser.add_argument(
        "--alone", action="store_true", help="each scan written alone (XZ_GROUP_CHECKINS=false)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="bursts, each beside its own baseline; the medians are printed last (this "
        "machine's baseline moves by half between runs minutes apart)",
    )
    args = parser.parse_args()
    results = in_rounds(args.rounds, lambda: one_round(args), name="checkin")
    ok = all(
        r["attendances"] == args.members
        and r["ledger_entries"] == args.members
        and r["service"]["non_2xx"] == 0
        for r in results
    )
    sys.exit(0 if ok else 1)


def in_rounds(
    rounds: int, one_round: Callable[[], dict[str, Any]], *, name: str
) -> list[dict[str, Any]]:
    """Runs a burst ``rounds`` times, printing and recording each; then prints the medians."""
    results = []
    for _ in range(rounds):
        result = one_round()
        line = json.dumps(result, ensure_ascii=False)
        print(line, flush=True)
        record(name, line)
        results.append(result)
    if rounds > 1:
        print(json.dumps({"bench": f"{results[0]['bench']}, medians", **medians(results)}))
    return results


def medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    def middle(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    service = [r["service"] for r in results]
    return {
        "rounds": len(results),
        "rps_ratio": middle([r["rps_ratio"] for r in results]),
        "rps": middle([s["rps"] for s in service]),
        "p50_ms": middle([s["p50_ms"] for s in service]),
        "p99_ms": middle([s["p99_ms"] for s in service]),
        "baseline_rps": middle([r["baseline"]["rps"] for r in results]),
        "server_cpu_ms_each": middle([s["server_cpu_ms_each"] for s in service]),
        "postgres_cpu_ms_each": middle([s["postgres_cpu_ms_each"] for s in service]),
    }


if __name__ == "__main__":
    main()

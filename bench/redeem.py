"""A village shop's rush: 500 households each redeem one item from 100 connections at once, on
PostgreSQL + Redis with one worker, beside the bare asyncpg INSERT baseline in the same run.

    python -m bench.redeem [--households 500] [--connections 100] [--stock 400] [--warm 0]

Each household holds 100 points and the goods cost 60, so a second redemption by the same
household would overdraw; the stock is smaller than the demand, so some must be refused. Every
request carries its own Idempotency-Key, as the mini-program sends it, and wrk's repeats of a
request replay its first answer. Afterwards it checks what a cadre would: nothing oversold (the
stock fell by exactly the number of redemptions), no points lost or made (each household's
balance is 100 minus 60 per redemption, and its chain verifies), at most one redemption per
household. Each household opens the app (GET /me) before the rush, as it would to see its
points. ``--warm N``: N more households redeem one at a time before the rush, as on a server
that has been up since morning (its connections open, its statements prepared); without it the
rush meets a server that has written nothing since it started.
"""

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import select

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.models.auth import UserAccount
from app.models.base import id_of
from app.models.points import Ledger, PointsAccount, SourceType
from app.models.roster import Household, Person, Town, Village
from app.models.shop import ShopGoods
from app.services.identity.auth import issue_pair
from app.services.points import chain, ledger
from bench.checkin import baseline_burst, burst, in_rounds, open_the_app
from bench.harness import cpu_seconds, free_port, profiled, scratch_database, server

THREADS = 2
START_POINTS, PRICE = 100, 60


async def _prepare(
    settings: Settings, households: int, stock: int, token_file: Path, warm: int
) -> int:
    """The village, the goods, and the households (the first ``warm`` of them redeem before
    the rush, from a file of their own)."""
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    async with maker() as session, session.begin():
        town = Town(name="基准镇")
        session.add(town)
        await session.flush()
        village = Village(town_id=id_of(town), name="基准村")
        session.add(village)
        await session.flush()
        goods = ShopGoods(
            town_id=town.id or 0,
            village_id=village.id or 0,
            name="洗衣液",
            points=PRICE,
            stock=stock + warm,
        )
        session.add(goods)
        lines = []
        for i in range(households + warm):
            household = Household(
                town_id=id_of(town), village_id=id_of(village), head_name=f"户主{i}"
            )
            session.add(household)
            await session.flush()
            person = Person(
                town_id=town.id,
                village_id=village.id,
                household_id=household.id,
                name=f"户主{i}",
                phone=f"1{i:010d}",
            )
            session.add(person)
            await session.flush()
            await ledger.credit(
                session,
                ledger=Ledger.household,
                owner=ledger.Owner.of_household(household),
                posting=ledger.Posting(
                    title="初始积分", points_each=START_POINTS, source_type=SourceType.manual
                ),
                actor=None,
            )
            account = UserAccount(person_id=person.id)
            session.add(account)
            await session.flush()
            lines.append((await issue_pair(session, settings, account)).access_token)
        goods_id = id_of(goods)
    await engine.dispose()
    token_file.write_text("\n".join(lines[warm:]) + "\n")  # noqa: ASYNC240
    _warm_file(token_file).write_text("\n".join(lines[:warm]) + "\n")
    return goods_id


def _warm_file(token_file: Path) -> Path:
    return token_file.with_name("warm.txt")


async def _warm_up(url: str, token_file: Path, goods_id: int) -> None:
    """The households before the rush, one redemption at a time."""
    tokens = _warm_file(token_file).read_text().split()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for i, token in enumerate(tokens):
            answer = await client.post(
                "/api/v1/shop/redemptions",
                json={"goods_id": goods_id, "quantity": 1},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"warm-{i}"},
            )
            answer.raise_for_status()


async def _audit(settings: Settings, goods_id: int, stock: int, warm: int) -> dict[str, Any]:
    """What a cadre would check after the rush; its span leaves out the warm-up's ``warm``
    redemptions (the first)."""
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        redeemed, most, span = (
            await session.execute(
                text(
                    "SELECT count(*), coalesce(max(n), 0), "
                    " (SELECT extract(epoch FROM max(created_at) - min(created_at))"
                    "  FROM (SELECT created_at FROM shop_redemptions"
                    "        ORDER BY created_at OFFSET :warm) rush)"
                    " FROM (SELECT household_id, count(*) AS n FROM shop_redemptions"
                    "       GROUP BY household_id) per_household"
                ),
                {"warm": warm},
            )
        ).one()
        left = (await session.get(ShopGoods, goods_id)).stock  # type: ignore[union-attr]
        accounts = (
            await session.exec(select(PointsAccount).where(PointsAccount.ledger == "household"))
        ).all()
        spent = dict(
            (
                await session.execute(
                    text(
                        "SELECT household_id, count(*) * :price FROM shop_redemptions"
                        " GROUP BY household_id"
                    ),
                    {"price": PRICE},
                )
            ).all()
        )
        wrong_balance = sum(
            1 for a in accounts if a.balance != START_POINTS - spent.get(a.owner_id, 0)
        )
        broken_chains = 0
        for account in accounts:
            if not (await chain.verify(session, account=account)).ok:
                broken_chains += 1
    await engine.dispose()
    return {
        "redemptions": int(redeemed),
        "most_per_household": int(most),
        "stock_left": int(left),
        "oversold": int(redeemed) + int(left) != stock,
        "wrong_balances": wrong_balance,
        "broken_chains": broken_chains,
        "span_seconds": float(span or 0),
    }


def one_round(args: argparse.Namespace) -> dict[str, Any]:
    with scratch_database("xz_bench_redeem") as env, tempfile.TemporaryDirectory() as tmp:
        env = {**env, "XZ_DATABASE_POOL_SIZE": "40"}
        settings = Settings(database_url=env["XZ_DATABASE_URL"])
        token_file = Path(tmp) / "tokens.txt"
        goods_id = asyncio.run(
            _prepare(settings, args.households, args.stock, token_file, args.warm)
        )
        body = json.dumps({"goods_id": goods_id, "quantity": 1})
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
        with server(serve, env, f"{url}/healthz") as served:
            asyncio.run(open_the_app(url, token_file))
            asyncio.run(_warm_up(url, token_file, goods_id))
            before = cpu_seconds(served.pid), cpu_seconds(user="postgres")
            with profiled(served.pid):
                service = burst(
                    url,
                    "/api/v1/shop/redemptions",
                    body,
                    token_file,
                    args.connections,
                    15,
                    idempotent=True,
                )
            used = cpu_seconds(served.pid) - before[0], cpu_seconds(user="postgres") - before[1]
        baseline = baseline_burst(env, settings, body, token_file, args.connections)
        checked = asyncio.run(_audit(settings, goods_id, args.stock + args.warm, args.warm))
    # The rush's own redemptions (the warm-up's were written one at a time before it).
    checked["redemptions"] -= args.warm
    # Redemptions written per second, first to last, as the database saw them.
    service["rps"] = round(checked["redemptions"] / max(checked["span_seconds"], 1e-3), 1)
    # CPU per household's request (those refused for stock included), for the capacity section.
    service["server_cpu_ms_each"] = round(1000 * used[0] / args.households, 2)
    service["postgres_cpu_ms_each"] = round(1000 * used[1] / args.households, 2)
    return {
        "bench": "redemption burst",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "households": args.households,
        "connections": args.connections,
        "stock": args.stock,
        "warm": args.warm,
        "service": service,
        "baseline": baseline,
        "rps_ratio": round(service["rps"] / baseline["rps"], 3),
        **checked,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--stock", type=int, default=400)
    parser.add_argument("--warm", type=int, default=0)
    parser.add_argument(
        "--rounds", type=int, default=1, help="rushes, each beside its own baseline; medians last"
    )
    args = parser.parse_args()
    results = in_rounds(args.rounds, lambda: one_round(args), name="redeem")
    ok = all(
        r["redemptions"] == min(args.households, args.stock)
        and r["most_per_household"] <= 1
        and not r["oversold"]
        and r["wrong_balances"] == 0
        and r["broken_chains"] == 0
        for r in results
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""A village shop's rush: 500 households each redeem one item from 100 connections at once, on
PostgreSQL + Redis with one worker, beside the bare asyncpg INSERT baseline in the same run.

    python -m bench.redeem [--households 500] [--connections 100] [--stock 400]

Each household holds 100 points and the goods cost 60, so a second redemption by the same
household would overdraw; the stock is smaller than the demand, so some must be refused. Every
request carries its own Idempotency-Key, as the mini-program sends it, and wrk's repeats of a
request replay its first answer. Afterwards it checks what a cadre would: nothing oversold (the
stock fell by exactly the number of redemptions), no points lost or made (each household's
balance is 100 minus 60 per redemption, and its chain verifies), at most one redemption per
household. Each household opens the app (GET /me) before the rush, as it would to see its
points.
"""

import argparse
import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from bench.checkin import baseline_burst, burst, open_the_app
from bench.harness import free_port, record, scratch_database, server

THREADS = 2
START_POINTS, PRICE = 100, 60


async def _prepare(settings: Settings, households: int, stock: int, token_file: Path) -> int:
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
            stock=stock,
        )
        session.add(goods)
        lines = []
        for i in range(households):
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
    token_file.write_text("\n".join(lines) + "\n")  # noqa: ASYNC240 - once, before any load
    return goods_id


async def _audit(settings: Settings, goods_id: int, stock: int) -> dict[str, Any]:
    """What a cadre would check after the rush."""
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        redeemed, most, span = (
            await session.execute(
                text(
                    "SELECT count(*), coalesce(max(n), 0), "
                    " (SELECT extract(epoch FROM max(created_at) - min(created_at))"
                    "  FROM shop_redemptions)"
                    " FROM (SELECT household_id, count(*) AS n FROM shop_redemptions"
                    "       GROUP BY household_id) per_household"
                )
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--stock", type=int, default=400)
    args = parser.parse_args()
    with scratch_database("xz_bench_redeem") as env, tempfile.TemporaryDirectory() as tmp:
        env = {**env, "XZ_DATABASE_POOL_SIZE": "40"}
        settings = Settings(database_url=env["XZ_DATABASE_URL"])
        token_file = Path(tmp) / "tokens.txt"
        goods_id = asyncio.run(_prepare(settings, args.households, args.stock, token_file))
        body = json.dumps({"goods_id": goods_id, "quantity": 1})
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
        with server(serve, env, f"{url}/healthz"):
            asyncio.run(open_the_app(url, token_file))
            service = burst(
                url,
                "/api/v1/shop/redemptions",
                body,
                token_file,
                args.connections,
                15,
                idempotent=True,
            )
        baseline = baseline_burst(env, settings, body, token_file, args.connections)
        checked = asyncio.run(_audit(settings, goods_id, args.stock))
    # Redemptions written per second, first to last, as the database saw them.
    service["rps"] = round(checked["redemptions"] / max(checked["span_seconds"], 1e-3), 1)
    result = {
        "bench": "redemption burst",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "households": args.households,
        "connections": args.connections,
        "stock": args.stock,
        "service": service,
        "baseline": baseline,
        "rps_ratio": round(service["rps"] / baseline["rps"], 3),
        **checked,
    }
    line = json.dumps(result, ensure_ascii=False)
    print(line)
    record("redeem", line)
    ok = (
        checked["redemptions"] == min(args.households, args.stock)
        and checked["most_per_household"] <= 1
        and not checked["oversold"]
        and checked["wrong_balances"] == 0
        and checked["broken_chains"] == 0
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

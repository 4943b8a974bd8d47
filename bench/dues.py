"""Party dues paid on the phone at the end of the month: 2,000 members' WeChat Pay orders, and
WeChat's payment notices for them arriving twice each, shuffled, from 64 connections at once,
on PostgreSQL + Redis with one worker.

    python -m bench.dues [--members 2000] [--connections 64]

Each notice is signed and encrypted as WeChat Pay writes it (with this run's own platform key
and APIv3 key, configured on the server). Afterwards it checks what the treasurer would: every
order paid exactly once (one payment per order, none for the repeats), each member's month paid
exactly its due. It reports the notice handler's p50 and p99 as the client saw them.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from app.china_time import to_china, utcnow
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.models.auth import UserAccount
from app.models.base import id_of
from app.models.dues import BaseKind, DuesBase, DuesOrder, DuesPayment, OrderState
from app.models.roster import Branch, Person, Town, Village
from app.services.kit import wechat_pay
from bench.harness import free_port, record, scratch_database, server
from tests.helpers.fake_wechat_pay import (
    APIV3_KEY,
    MCHID,
    MERCHANT_SERIAL,
    PLATFORM_SERIAL,
    pem_pair,
)

APPID = "wx-bench-app"
DUE = 4_000  # 4,000 yuan a month employed: 1 %, 40 yuan


async def _prepare(settings: Settings, members: int, month: str) -> list[tuple[str, int]]:
    """The branch, its members with their base, and an order each for ``month``."""
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    orders = []
    async with maker() as session, session.begin():
        town = Town(name="基准镇")
        session.add(town)
        await session.flush()
        village = Village(town_id=id_of(town), name="基准村")
        session.add(village)
        await session.flush()
        branch = Branch(town_id=id_of(town), village_id=village.id, name="基准村党支部")
        session.add(branch)
        phone = UserAccount(openid="o-bench")  # the orders were placed from phones like this
        session.add(phone)
        await session.flush()
        for i in range(members):
            person = Person(
                town_id=town.id,
                village_id=village.id,
                branch_id=branch.id,
                name=f"党员{i}",
                is_party_member=True,
            )
            session.add(person)
            await session.flush()
            session.add(
                DuesBase(
                    person_id=id_of(person),
                    town_id=town.id,
                    village_id=village.id,
                    branch_id=branch.id,
                    year=int(month[:4]),
                    kind=BaseKind.employed,
                    base_fen=400_000,
                    monthly_fen=DUE,
                )
            )
            order = DuesOrder(
                out_trade_no=f"XZDFBENCH{i:08d}",
                person_id=id_of(person),
                account_id=id_of(phone),
                town_id=town.id,
                village_id=village.id,
                branch_id=branch.id,
                months={month: DUE},
                amount_fen=DUE,
            )
            orders.append((order.out_trade_no, id_of(person)))
            session.add(order)
        await session.flush()
    await engine.dispose()
    return orders


def _notices(
    platform_private: str, orders: list[tuple[str, int]]
) -> list[tuple[dict[str, str], bytes]]:
    sent = []
    for trade_no, _ in orders:
        transaction = {
            "appid": APPID,
            "mchid": MCHID,
            "out_trade_no": trade_no,
            "transaction_id": f"4200{random.randrange(10**16):016d}",
            "trade_state": "SUCCESS",
            "amount": {"total": DUE, "payer_total": DUE, "currency": "CNY"},
        }
        body = json.dumps(wechat_pay.seal_notice(APIV3_KEY, transaction, "TRANSACTION.SUCCESS"))
        stamp, nonce = str(int(time.time())), f"{random.getrandbits(64):016x}"
        headers = {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": wechat_pay.sign(platform_private, f"{stamp}\n{nonce}\n{body}\n"),
            "Wechatpay-Serial": PLATFORM_SERIAL,
            "Content-Type": "application/json",
        }
        sent.append((headers, body.encode()))
    return sent * 2  # every notice arrives twice


async def _deliver(
    url: str, notices: list[tuple[dict[str, str], bytes]], connections: int
) -> tuple[list[float], dict[int, int]]:
    queue: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()
    for item in notices:
        queue.put_nowait(item)
    timings: list[float] = []
    statuses: dict[int, int] = {}

    async def one_connection() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while not queue.empty():
                headers, body = queue.get_nowait()
                start = time.perf_counter()
                r = await client.post(
                    f"{url}/api/v1/wechat/pay/notify", content=body, headers=headers
                )
                timings.append(time.perf_counter() - start)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return timings, statuses


async def _check(settings: Settings, orders: list[tuple[str, int]], month: str) -> dict[str, Any]:
    engine = create_engine(settings)
    maker = create_sessionmaker(engine)
    async with maker() as session:
        payments = (await session.exec(select(func.count()).select_from(DuesPayment))).one()
        paid_orders = (
            await session.exec(
                select(func.count())
                .select_from(DuesOrder)
                .where(col(DuesOrder.state) == OrderState.paid)
            )
        ).one()
        wrong = [
            p.person_id
            for p in (await session.exec(select(DuesPayment))).all()
            if p.months != {month: DUE}
        ]
    await engine.dispose()
    return {
        "payments": int(payments),
        "orders_paid": int(paid_orders),
        "orders": len(orders),
        "wrong_months": len(wrong),
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    month = to_china(utcnow()).strftime("%Y-%m")
    merchant_private, _ = pem_pair()
    platform_private, platform_public = pem_pair()
    with scratch_database("xz_bench_dues") as env:
        env = {
            **env,
            "XZ_WECHAT_MODE": "live",
            "XZ_WECHAT_APPID": APPID,
            "XZ_WECHAT_SECRET": "bench-secret",
            "XZ_WECHAT_PAY_MCHID": MCHID,
            "XZ_WECHAT_PAY_SERIAL_NO": MERCHANT_SERIAL,
            "XZ_WECHAT_PAY_PRIVATE_KEY": merchant_private,
            "XZ_WECHAT_PAY_APIV3_KEY": APIV3_KEY,
            "XZ_WECHAT_PAY_PLATFORM_SERIAL": PLATFORM_SERIAL,
            "XZ_WECHAT_PAY_PLATFORM_PUBLIC_KEY": platform_public,
        }
        settings = Settings(database_url=env["XZ_DATABASE_URL"])
        orders = asyncio.run(_prepare(settings, args.members, month))
        print(f"{len(orders)} 个党员各有一笔 {month} 的党费订单", file=sys.stderr)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
        with server(serve, env, f"{url}/healthz"):
            notices = _notices(platform_private, orders)
            random.shuffle(notices)
            print(f"发送 {len(notices)} 条支付通知（每条两次）", file=sys.stderr)
            started = time.perf_counter()
            timings, statuses = asyncio.run(_deliver(url, notices, args.connections))
            elapsed = time.perf_counter() - started
        checked = asyncio.run(_check(settings, orders, month))
    result = {
        "at": utcnow().isoformat(),
        "members": args.members,
        "notices": len(timings),
        "connections": args.connections,
        "seconds": round(elapsed, 2),
        "notices_per_second": round(len(timings) / elapsed, 1),
        "p50_ms": round(_percentile(timings, 0.5) * 1000, 1),
        "p99_ms": round(_percentile(timings, 0.99) * 1000, 1),
        "statuses": statuses,
        **checked,
    }
    record("dues", json.dumps(result, ensure_ascii=False))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    exactly_once = checked["payments"] == checked["orders_paid"] == len(orders)
    if not exactly_once or checked["wrong_months"]:
        raise SystemExit("有订单没有恰好入账一次")


if __name__ == "__main__":
    main()

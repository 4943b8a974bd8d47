"""A village shop's rush: households redeeming at once are rung up together by the redemption writer
(group commit), and each still hears exactly its own answer: its redemption, or why not (the stock
ran out, the balance is short, the monthly limit is reached), with nothing oversold, no point lost
or made, its own audit entry and inbox message, and under an Idempotency-Key its answer stored in
the same commit as the redemption."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app import idempotency
from app.china_time import utcnow
from app.errors import AppError
from app.jobs import expire_reservations
from app.models.audit import AuditEntry
from app.models.idempotency import IdempotencyRecord
from app.models.notifications import Notification
from app.models.points import Ledger, PointsAccount, SourceType
from app.models.roster import Household, Person
from app.models.shop import ShopGoods, ShopRedemption
from app.services.identity import Principal
from app.services.points import chain, ledger
from app.services.shop import RedemptionWriter
from app.services.shop.orders import Order
from tests.helpers.factories import Login, World
from tests.helpers.shop import balance, goods, redeem, stock

PRICE = 60


@dataclass
class Home:
    household_id: int
    person_id: int
    headers: dict[str, str]


async def _homes(app: FastAPI, world: World, login: Login, points: list[int]) -> list[Home]:
    """A household in V1 for each entry, holding that many points, with a villager logged in."""
    made: list[tuple[int, int]] = []
    async with app.state.sessionmaker() as session, session.begin():
        for i, start in enumerate(points):
            household = Household(
                town_id=world.ids["town_a"], village_id=world.ids["v1"], head_name=f"抢购户{i}"
            )
            session.add(household)
            await session.flush()
            person = Person(
                name=f"抢购户{i}",
                phone=f"1371234{i:04d}",
                town_id=world.ids["town_a"],
                village_id=world.ids["v1"],
                household_id=household.id,
            )
            session.add(person)
            await session.flush()
            if start:
                await ledger.credit(
                    session,
                    ledger=Ledger.household,
                    owner=ledger.Owner.of_household(household),
                    posting=ledger.Posting(
                        title="初始积分", points_each=start, source_type=SourceType.manual
                    ),
                    actor=None,
                )
            made.append((household.id or 0, person.id or 0))
    return [Home(h, p, {"Authorization": f"Bearer {await login(p)}"}) for h, p in made]


def _postgres(app: FastAPI) -> bool:
    return bool(app.state.engine.dialect.name == "postgresql")


async def test_a_rush_is_rung_up_together_and_each_household_hears_its_own(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    homes = await _homes(app, world, login, [100] * 20 + [30])
    item = await goods(client, world, points=PRICE, stock=15)
    soap = await goods(client, world, points=PRICE, stock=50, name="香皂")
    # Everyone taps at once; the first three tap twice (a second 60 would overdraw their 100),
    # and the last household, holding only 30 points, taps for soap, which is plentiful.
    taps = homes + homes[:3]
    wanted = [soap["id"] if h is homes[-1] else item["id"] for h in taps]
    answers = await asyncio.gather(
        *(redeem(client, h.headers, w) for h, w in zip(taps, wanted, strict=True))
    )

    if _postgres(app):
        assert app.state.writers.get(RedemptionWriter).largest > 1, (
            "the rush was never rung up together"
        )
    won = [(h, a) for h, a in zip(taps, answers, strict=True) if a.status_code == 201]
    assert len(won) == 15, [a.text for a in answers]
    refused = {a.json()["code"] for a in answers if a.status_code != 201}
    assert refused <= {"shop.out_of_stock", "shop.insufficient_points"}, refused
    for answer in answers:
        if answer.status_code != 201:
            assert answer.status_code == 409
            assert answer.json()["detail"].startswith(("「洗衣液」库存不足", "积分余额不足"))
    poor = answers[20]
    assert poor.status_code == 409 and poor.json()["code"] == "shop.insufficient_points"
    assert poor.json()["detail"] == "积分余额不足：现有 30 分，需要 60 分。"
    assert await stock(client, world, item["id"]) == 0  # 15 taken, none oversold
    assert await stock(client, world, soap["id"]) == 50
    codes = [a.json()["code"] for _, a in won]
    assert len(set(codes)) == 15 and all(len(c) == 8 for c in codes)

    per_home = {h.household_id: 0 for h in homes}
    for home, _ in won:
        per_home[home.household_id] += 1
    assert max(per_home.values()) == 1  # nobody overdrew with a double tap
    for home in homes:
        start = 30 if home is homes[-1] else 100
        assert await balance(client, home.headers) == start - PRICE * per_home[home.household_id]

    async with app.state.sessionmaker() as session:
        for home, answer in won:
            made = answer.json()
            saved = await session.get(ShopRedemption, made["id"])
            assert saved is not None and saved.entry_id is not None
            assert saved.household_id == home.household_id and saved.code == made["code"]
            trail = (
                await session.exec(
                    select(AuditEntry).where(
                        col(AuditEntry.action) == "shop.redeem",
                        col(AuditEntry.target_id) == str(made["id"]),
                    )
                )
            ).one()
            # The audit entry names the request that redeemed, not the one that wrote the group.
            assert trail.request_id == answer.headers["x-request-id"]
            assert trail.actor_person_id == home.person_id
            told = (
                await session.exec(
                    select(Notification).where(
                        col(Notification.person_id) == home.person_id,
                        col(Notification.kind) == "redemption_ready",
                    )
                )
            ).one()
            assert made["code"] in told.body
        accounts = (
            await session.exec(
                select(PointsAccount).where(
                    col(PointsAccount.owner_id).in_([h.household_id for h in homes]),
                    col(PointsAccount.owner_type) == "household",
                )
            )
        ).all()
        for account in accounts:
            assert (await chain.verify(session, account=account)).ok


async def test_a_retried_redemption_under_its_key_replays_the_answer_kept_with_it(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    homes = await _homes(app, world, login, [100] * 6)
    item = await goods(client, world, points=PRICE, stock=10)
    keyed = [{**h.headers, "Idempotency-Key": f"buy-{i}"} for i, h in enumerate(homes)]
    first = await asyncio.gather(*(redeem(client, k, item["id"]) for k in keyed))
    assert [a.status_code for a in first] == [201] * 6
    # The phones lost their answers on a weak network and send the same requests again.
    again = await asyncio.gather(*(redeem(client, k, item["id"]) for k in keyed))
    for before, after in zip(first, again, strict=True):
        assert after.status_code == 201 and after.json() == before.json()
        assert after.headers["idempotent-replayed"] == "true"
    assert await stock(client, world, item["id"]) == 4
    assert [await balance(client, h.headers) for h in homes] == [100 - PRICE] * 6
    async with app.state.sessionmaker() as session:
        kept = (
            await session.exec(
                select(IdempotencyRecord).where(col(IdempotencyRecord.key).like("buy-%"))
            )
        ).all()
        assert {r.state for r in kept} == {"done"} and len(kept) == 6
        assert {r.response_status for r in kept} == {201}


def _order(home: Home, goods_id: int, quantity: int = 1) -> Order:
    return Order(
        goods_id=goods_id,
        quantity=quantity,
        household_id=home.household_id,
        person_id=home.person_id,
        principal=Principal(account_id=1, person_id=home.person_id, session_id="s"),
        request_id=None,
        expires_at=utcnow() + timedelta(days=7),
    )


async def _ring_up(
    app: FastAPI, orders: list[Order], receipts: list[idempotency.Receipt | None] | None = None
) -> tuple[RedemptionWriter, list[Any]]:
    """Hands the orders to a one-thread redemption writer in one go: written as one group."""
    writer = RedemptionWriter(app.state.sessionmaker, writers=1)
    kept = receipts or [None] * len(orders)
    answers = await asyncio.gather(
        *(writer.submit(o, r) for o, r in zip(orders, kept, strict=True)), return_exceptions=True
    )
    return writer, answers


async def test_a_group_refuses_each_order_for_its_own_reason_and_writes_the_rest(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    homes = await _homes(app, world, login, [100, 100, 20, 100])
    limited = await goods(client, world, points=10, stock=10, monthly_limit=1, name="限购米")
    scarce = await goods(client, world, points=10, stock=1, name="紧俏油")
    first, second, poor, last = homes
    orders = [
        _order(first, limited["id"]),
        _order(first, limited["id"]),  # the same household again: past the monthly limit
        _order(second, scarce["id"]),
        _order(last, scarce["id"]),  # the one left went to the order before
        _order(poor, limited["id"], quantity=1),
        _order(poor, scarce["id"], quantity=3),  # out of stock before its balance is asked
        _order(second, 2**31 - 1),  # no such goods
        _order(last, limited["id"]),
    ]
    writer, answers = await _ring_up(app, orders)

    if _postgres(app):
        assert writer.largest == len(orders), "the orders were not rung up as one group"
    codes = [a.code if isinstance(a, AppError) else "ok" for a in answers]
    assert codes == [
        "ok",
        "shop.monthly_limit",
        "ok",
        "shop.out_of_stock",
        "ok",
        "shop.out_of_stock",
        "shop.goods_not_found",
        "ok",
    ]
    assert answers[1].detail == "「限购米」每户每月限兑 1 件，本月已兑 1 件。"
    assert await stock(client, world, limited["id"]) == 7
    assert await stock(client, world, scarce["id"]) == 0
    assert [await balance(client, h.headers) for h in homes] == [90, 90, 10, 90]
    async with app.state.sessionmaker() as session:
        written = (
            await session.exec(
                select(ShopRedemption).where(
                    col(ShopRedemption.household_id).in_([h.household_id for h in homes])
                )
            )
        ).all()
        rung_up = [a for a in answers if not isinstance(a, AppError)]
        assert sorted(r.id for r in written) == sorted(a.id for a in rung_up)


async def test_a_spend_the_ledger_refuses_sends_the_group_one_by_one(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    homes = await _homes(app, world, login, [100, 40, 100])
    item = await goods(client, world, points=PRICE, stock=10)

    async def read_before_a_deduction(session: Any, households: set[int]) -> dict[int, int]:
        # The balances as the writer would have read them just before a grid worker's
        # deduction landed: the writer lets the second order in, the ledger's lock refuses it.
        return dict.fromkeys(households, 100)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.services.shop.redemption_writer._balances", read_before_a_deduction)
        writer, answers = await _ring_up(app, [_order(h, item["id"]) for h in homes])
    assert writer.largest == 0  # the group failed whole, and each order was written alone
    assert not isinstance(answers[0], Exception) and not isinstance(answers[2], Exception)
    assert isinstance(answers[1], AppError) and answers[1].code == "shop.insufficient_points"
    assert answers[1].detail == "积分余额不足：现有 40 分，需要 60 分。"
    assert await stock(client, world, item["id"]) == 8
    assert [await balance(client, h.headers) for h in homes] == [40, 40, 40]


async def test_a_claim_taken_over_meanwhile_rolls_its_redemption_back(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    homes = await _homes(app, world, login, [100, 100])
    item = await goods(client, world, points=PRICE, stock=10)
    now = utcnow()
    claims = []
    async with app.state.sessionmaker() as session, session.begin():
        for i, home in enumerate(homes):
            record = IdempotencyRecord(
                owner=f"account:{home.person_id}",
                key=f"k{i}",
                request_hash="h",
                state="in_flight",
                created_at=now,
                expires_at=now + timedelta(hours=1),
            )
            session.add(record)
            await session.flush()
            claims.append(idempotency.Claimed(record.id or 0, now))
    # The second phone's retry took its claim over (a new token): the first request must not
    # also redeem, or the key would have two effects.
    stale = idempotency.Claimed(claims[1].record_id, now - timedelta(seconds=1))

    def shape(row: Any) -> idempotency.Answer:
        return idempotency.Answer(201, {}, str(row.id).encode())

    receipts: list[idempotency.Receipt | None] = [
        idempotency.Receipt(idempotency.Pending(claims[0]), shape),
        idempotency.Receipt(idempotency.Pending(stale), shape),
    ]
    _, answers = await _ring_up(app, [_order(h, item["id"]) for h in homes], receipts)
    assert not isinstance(answers[0], Exception)
    assert isinstance(answers[1], AppError) and answers[1].code == "idempotency.in_flight"
    assert receipts[0] is not None and receipts[0].pending.answered
    assert [await balance(client, h.headers) for h in homes] == [100 - PRICE, 100]
    async with app.state.sessionmaker() as session:
        first = await session.get(IdempotencyRecord, claims[0].record_id)
        assert first is not None and first.state == "done"
        assert first.response_body == str(answers[0].id).encode()
        goods_row = await session.get(ShopGoods, item["id"])
        assert goods_row is not None and goods_row.stock == 9


async def test_expiry_during_a_rush_gives_each_back_once_and_deadlocks_nobody(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    """Twenty households hold reservations of two goods that have run out of time; while the
    expiry job gives them back, the same households rush the same goods again. Every expired
    reservation is given back exactly once, no request fails for a lock, nothing is oversold,
    and every balance still equals its entries."""
    homes = await _homes(app, world, login, [300] * 20)
    soap = await goods(client, world, points=PRICE, stock=40, name="香皂")
    oil = await goods(client, world, points=PRICE, stock=40, name="食用油")
    held = []
    for i, home in enumerate(homes):
        for item in (soap, oil) if i % 2 else (oil, soap):
            r = await redeem(client, home.headers, item["id"])
            assert r.status_code == 201, r.text
            held.append(r.json()["id"])
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(ShopRedemption)
            .where(col(ShopRedemption.id).in_(held))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    ctx = {"sessionmaker": app.state.sessionmaker, "cache": app.state.cache}
    rush = [redeem(client, h.headers, item["id"]) for h in homes for item in (soap, oil)]
    expired, *answers = await asyncio.gather(expire_reservations(ctx), *rush)
    assert expired == len(held)
    assert await expire_reservations(ctx) == 0
    assert all(a.status_code == 201 for a in answers), [
        a.text for a in answers if a.status_code != 201
    ]
    assert (
        await stock(client, world, soap["id"]) == 20 and await stock(client, world, oil["id"]) == 20
    )
    for home in homes:
        assert await balance(client, home.headers) == 300 - 2 * PRICE
    async with app.state.sessionmaker() as session:
        states = (
            await session.exec(
                select(ShopRedemption.status).where(col(ShopRedemption.id).in_(held))
            )
        ).all()
        assert set(states) == {"expired"}
        accounts = (
            await session.exec(
                select(PointsAccount).where(
                    col(PointsAccount.owner_id).in_([h.household_id for h in homes]),
                    col(PointsAccount.owner_type) == "household",
                )
            )
        ).all()
        for account in accounts:
            assert (await chain.verify(session, account=account)).ok

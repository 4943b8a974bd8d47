"""The ledger under concurrency: each posting in its own transaction, all at once.

On PostgreSQL these are real races between connections (row locks decide); on SQLite the
writers queue on the database lock. Either way the invariants must hold.
"""

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.china_time import day_bounds, utcnow
from app.models.points import Ledger, LedgerEntry, OwnerType, ScoringRule, SourceType, VerifyResult
from app.services.points import chain, ledger
from tests.helpers.factories import World
from tests.helpers.points import award, make_rule


async def _account(app: FastAPI, world: World) -> int:
    owner = ledger.Owner(OwnerType.household, world.ids["h1"], world.ids["town_a"], world.ids["v1"])
    async with app.state.sessionmaker() as session, session.begin():
        account = await ledger.account_for(session, ledger=Ledger.household, owner=owner)
        assert account.id is not None
        return account.id


async def _post(
    app: FastAPI,
    account_id: int,
    points: int,
    *,
    spend: bool = False,
    rule: ScoringRule | None = None,
) -> bool:
    async with app.state.sessionmaker() as session:
        try:
            async with session.begin():
                account = await session.get(ledger.PointsAccount, account_id)
                assert account is not None
                posting = ledger.Posting(
                    title="测试",
                    points_each=points,
                    rule=rule,
                    source_type=SourceType.redemption if spend else SourceType.manual,
                    allow_overdraft=not spend,
                )
                await ledger.post(session, account=account, posting=posting, actor=None)
        except ledger.InsufficientPoints:
            return False
    return True


async def _verify(app: FastAPI, account_id: int) -> VerifyResult:
    async with app.state.sessionmaker() as session:
        account = await session.get(ledger.PointsAccount, account_id)
        assert account is not None
        return await chain.verify(session, account=account)


async def test_200_concurrent_postings_keep_balance_and_chain(app: FastAPI, world: World) -> None:
    account_id = await _account(app, world)
    amounts = [(i % 7) - 2 for i in range(200)]
    results = await asyncio.gather(*[_post(app, account_id, p) for p in amounts])
    assert all(results)
    check = await _verify(app, account_id)
    assert check.ok, check
    assert check.entries == 200
    assert check.balance == sum(amounts)


async def test_concurrent_spends_never_overdraw(app: FastAPI, world: World) -> None:
    account_id = await _account(app, world)
    assert await _post(app, account_id, 100)
    results = await asyncio.gather(*[_post(app, account_id, -10, spend=True) for _ in range(30)])
    assert results.count(True) == 10
    check = await _verify(app, account_id)
    assert check.ok and check.balance == 0


async def test_a_cap_holds_under_concurrency(
    app: FastAPI, world: World, client: httpx.AsyncClient
) -> None:
    made = await make_rule(client, world, points=7, daily_cap=50)
    account_id = await _account(app, world)
    async with app.state.sessionmaker() as session:
        rule = await session.get(ScoringRule, made["id"])
    await asyncio.gather(*[_post(app, account_id, 7, rule=rule) for _ in range(20)])
    check = await _verify(app, account_id)
    assert check.ok and check.balance == 50


async def test_daily_caps_count_china_days(
    app: FastAPI, world: World, client: httpx.AsyncClient
) -> None:
    await make_rule(client, world, points=10, daily_cap=10)
    first = (await award(client, world)).json()
    start, _ = day_bounds(utcnow())
    # Move the first award to one second before China's midnight: today's cap is untouched.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.id == first["id"])
            .values(created_at=start - timedelta(seconds=1))
        )
    today = (await award(client, world)).json()
    assert today["points"] == 10 and not today["capped"]
    # One second after China's midnight is today (even when it is still yesterday in UTC).
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.id == today["id"])
            .values(created_at=start + timedelta(seconds=1))
        )
    capped = (await award(client, world)).json()
    assert capped["points"] == 0 and capped["capped"]


async def test_a_retried_award_posts_once(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world)
    body = {"rule_code": "clean", "account_owner": {"household_id": world.ids["h1"]}, "note": ""}
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "award-once"}
    responses = await asyncio.gather(
        *[client.post("/api/v1/admin/points/entries", json=body, headers=headers) for _ in range(5)]
    )
    assert {r.status_code for r in responses} <= {201, 409}
    replay = await client.post("/api/v1/admin/points/entries", json=body, headers=headers)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    mine = (await client.get("/api/v1/me/points", headers=world.auth("v1_villager"))).json()
    assert mine["balance"] == 5 and len(mine["items"]) == 1

"""The key store on its own: an unfinished claim, a takeover, and the first request's fate."""

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, func, select

from app import idempotency
from app.models.idempotency import IdempotencyRecord

TTL = timedelta(hours=24)


async def _claim(app: FastAPI, key: str = "k") -> idempotency.Claimed | idempotency.Replay:
    return await idempotency.claim(
        app.state.sessionmaker, owner="account:1", key=key, request_hash="h", ttl=TTL
    )


async def _age(app: FastAPI, by: timedelta) -> None:
    """The claim as it looks ``by`` later: its request never finished (crash, lost release)."""
    async with app.state.sessionmaker() as session:
        for record in (await session.exec(select(IdempotencyRecord))).all():
            await session.execute(
                update(IdempotencyRecord)
                .where(col(IdempotencyRecord.id) == record.id)
                .values(created_at=record.created_at - by)
            )
        await session.commit()


async def test_a_fresh_claim_turns_retries_away(app: FastAPI) -> None:
    assert isinstance(await _claim(app), idempotency.Claimed)
    try:
        await _claim(app)
    except idempotency.InFlight:
        pass
    else:
        raise AssertionError("a retry while the first runs must be refused")


async def test_an_unreleased_claim_blocks_for_seconds_not_minutes(app: FastAPI) -> None:
    """When the database blips, the failed request cannot release its claim; the phone's
    retries must get through soon after, not 409 for two minutes."""
    first = await _claim(app)
    assert isinstance(first, idempotency.Claimed)
    await _age(app, timedelta(seconds=16))
    second = await _claim(app)
    assert isinstance(second, idempotency.Claimed)
    assert second.record_id == first.record_id and second.token != first.token


async def test_the_first_request_cannot_complete_once_taken_over(app: FastAPI) -> None:
    first = await _claim(app)
    assert isinstance(first, idempotency.Claimed)
    await _age(app, timedelta(seconds=16))
    second = await _claim(app)
    assert isinstance(second, idempotency.Claimed)

    async with app.state.sessionmaker() as session:
        late = await idempotency.complete_in(session, first, idempotency.Answer(201, {}, b"first"))
        await session.rollback()
    assert late is False

    async with app.state.sessionmaker() as session:
        assert await idempotency.complete_in(
            session, second, idempotency.Answer(201, {}, b"second")
        )
        await session.commit()
    replay = await _claim(app)
    assert isinstance(replay, idempotency.Replay)
    assert replay.body == b"second"


async def test_a_completed_key_is_never_taken_over(app: FastAPI) -> None:
    first = await _claim(app)
    assert isinstance(first, idempotency.Claimed)
    async with app.state.sessionmaker() as session:
        assert await idempotency.complete_in(session, first, idempotency.Answer(201, {}, b"x"))
        await session.commit()
    await _age(app, timedelta(hours=1))
    again = await _claim(app)
    assert isinstance(again, idempotency.Replay)
    assert again.body == b"x"


async def test_release_leaves_a_taken_over_claim_alone(app: FastAPI) -> None:
    first = await _claim(app)
    assert isinstance(first, idempotency.Claimed)
    await _age(app, timedelta(seconds=16))
    second = await _claim(app)
    assert isinstance(second, idempotency.Claimed)
    await idempotency.release(app.state.sessionmaker, first)
    async with app.state.sessionmaker() as session:
        left = (await session.exec(select(func.count()).select_from(IdempotencyRecord))).one()
    assert left == 1

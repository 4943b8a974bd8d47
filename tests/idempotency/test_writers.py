"""Keys claimed and answers stored together at a rush: each new key gets its own claim in one
group, the same key twice in one group is claimed once (the other is turned away as the
careful path would), a key already answered replays, an expired one is claimed afresh, and an
answer is stored only while the claim is still its request's."""

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app import idempotency
from app.china_time import utcnow
from app.idempotency import writers
from app.idempotency.writers import IdempotencyAnswerWriter, IdempotencyClaimWriter
from app.models.idempotency import IdempotencyRecord

TTL = timedelta(hours=24)


async def _claim_all(
    writer: IdempotencyClaimWriter, keys: list[str], owner: str = "account:1"
) -> list[idempotency.Claimed | idempotency.Replay | BaseException]:
    """Hands the claims to the writer in one go: with one writer they are written as one group."""
    return await asyncio.gather(
        *(writers.claim(writer, owner=owner, key=k, request_hash="h", ttl=TTL) for k in keys),
        return_exceptions=True,
    )


async def _record(app: FastAPI, key: str) -> IdempotencyRecord:
    async with app.state.sessionmaker() as session:
        found = (
            await session.exec(select(IdempotencyRecord).where(col(IdempotencyRecord.key) == key))
        ).one()
        return found


async def test_new_keys_are_claimed_together_and_a_repeat_is_turned_away(app: FastAPI) -> None:
    writer = IdempotencyClaimWriter(app.state.sessionmaker, writers=1)
    got = await _claim_all(writer, ["a", "b", "a", "c"])
    assert writer.largest == 4, "the claims were not written as one group"
    assert all(isinstance(g, idempotency.Claimed) for g in (got[0], got[1], got[3]))
    assert isinstance(got[2], idempotency.InFlight)  # the same key, while the first runs
    ids = {g.record_id for g in got if isinstance(g, idempotency.Claimed)}
    assert len(ids) == 3
    for key in ("a", "b", "c"):
        assert (await _record(app, key)).state == "in_flight"


async def test_an_answered_key_replays_and_an_expired_one_is_claimed_afresh(app: FastAPI) -> None:
    claim_writer = IdempotencyClaimWriter(app.state.sessionmaker, writers=1)
    answers = IdempotencyAnswerWriter(app.state.sessionmaker, writers=1)
    first, old = await _claim_all(claim_writer, ["paid", "old"])
    assert isinstance(first, idempotency.Claimed) and isinstance(old, idempotency.Claimed)
    await writers.complete(answers, first, idempotency.Answer(201, {"x": "1"}, b"body"))
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.key) == "old")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    replay, fresh = await _claim_all(claim_writer, ["paid", "old"])
    assert isinstance(replay, idempotency.Replay)
    assert (replay.status, replay.headers, replay.body) == (201, {"x": "1"}, b"body")
    assert isinstance(fresh, idempotency.Claimed) and fresh.token > old.token


async def test_answers_are_stored_together_and_never_over_a_claim_taken_over(
    app: FastAPI,
) -> None:
    claim_writer = IdempotencyClaimWriter(app.state.sessionmaker, writers=1)
    answers = IdempotencyAnswerWriter(app.state.sessionmaker, writers=1)
    got = await _claim_all(claim_writer, ["one", "two", "three"])
    mine = [g for g in got if isinstance(g, idempotency.Claimed)]
    assert len(mine) == 3
    # "two"'s request was too slow: a retry took its claim over (a new token).
    stale = idempotency.Claimed(mine[1].record_id, mine[1].token - timedelta(seconds=1))
    await asyncio.gather(
        writers.complete(answers, mine[0], idempotency.Answer(201, {}, b"1")),
        writers.complete(answers, stale, idempotency.Answer(201, {}, b"2")),
        writers.complete(answers, mine[2], idempotency.Answer(409, {}, b"3")),
    )
    assert answers.largest == 3
    one, two, three = [await _record(app, k) for k in ("one", "two", "three")]
    assert (one.state, one.response_body) == ("done", b"1")
    assert (two.state, two.response_body) == ("in_flight", None)
    assert (three.state, three.response_status) == ("done", 409)

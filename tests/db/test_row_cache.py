"""Rows read once a minute: a burst's first scans, all missing at once, read the row once."""

import asyncio

from fastapi import FastAPI

from app.db import row_cache
from app.errors import NotFound


class Gone(NotFound):
    code = "test.gone"
    detail = "没有这一行。"


async def test_a_burst_of_misses_reads_once_and_shares_the_answer(app: FastAPI) -> None:
    cache: row_cache.RowCache[str] = row_cache.RowCache(seconds=60)
    reads = 0

    async def load() -> str:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.05)  # the database is slow this morning
        return "主题党日"

    async with app.state.sessionmaker() as session:
        answers = await asyncio.gather(*(cache.get(session, 7, load) for _ in range(20)))
    assert answers == ["主题党日"] * 20
    assert reads == 1


async def test_a_missing_row_is_the_same_answer_for_all_and_not_remembered(app: FastAPI) -> None:
    cache: row_cache.RowCache[str] = row_cache.RowCache(seconds=60)
    reads = 0

    async def load() -> str:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.05)
        raise Gone()

    async with app.state.sessionmaker() as session:
        answers = await asyncio.gather(
            *(cache.get(session, 8, load) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(a, Gone) for a in answers) and reads == 1
        await asyncio.gather(cache.get(session, 8, load), return_exceptions=True)
    assert reads == 2  # a miss is read again next time


async def test_a_cancelled_reader_does_not_fail_the_others(app: FastAPI) -> None:
    cache: row_cache.RowCache[str] = row_cache.RowCache(seconds=60)
    started = asyncio.Event()

    async def load() -> str:
        started.set()
        await asyncio.sleep(0.05)
        return "党课"

    async with app.state.sessionmaker() as session:
        first = asyncio.create_task(cache.get(session, 9, load))
        await started.wait()
        others = [asyncio.create_task(cache.get(session, 9, load)) for _ in range(3)]
        await asyncio.sleep(0)
        first.cancel()
        assert await asyncio.gather(*others) == ["党课"] * 3

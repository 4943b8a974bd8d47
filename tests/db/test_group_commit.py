"""Group commit on its own: writes that wait behind a busy writer go together, a group that
fails is written again one by one (each caller hearing its own answer, nothing of the failed
group kept), and a caller that goes away does not take its write with it."""

import asyncio
from collections.abc import Sequence

from fastapi import FastAPI
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.group_commit import GroupCommit
from app.errors import Conflict
from app.models.roster import Town


class Refused(Conflict):
    code = "test.refused"
    detail = "不收这一笔。"


class Writes(GroupCommit[str, int]):
    """Each write is a town named after it; "坏" is refused; "闸" waits until let through."""

    def __init__(self, app: FastAPI, *, writers: int = 2) -> None:
        super().__init__(app.state.sessionmaker, writers=writers)
        self.gate = asyncio.Event()
        self.groups: list[list[str]] = []

    async def _one(self, session: AsyncSession, name: str) -> int:
        if name == "闸":
            await self.gate.wait()
        town = Town(name=name)
        session.add(town)
        await session.flush()
        if name == "坏":
            raise Refused()
        assert town.id is not None
        return town.id

    async def together(self, session: AsyncSession, items: Sequence[str]) -> list[int]:
        self.groups.append(list(items))
        return [await self._one(session, name) for name in items]

    async def alone(self, session: AsyncSession, item: str) -> int:
        return await self._one(session, item)


async def _towns(app: FastAPI) -> list[str]:
    async with app.state.sessionmaker() as session:
        return list((await session.exec(select(Town.name).order_by(col(Town.id)))).all())


async def test_writes_behind_a_busy_writer_go_together(app: FastAPI) -> None:
    writer = writes = Writes(app, writers=1)
    first = asyncio.create_task(writer.submit("闸"))
    await asyncio.sleep(0.05)  # the one writer is now held at the gate
    later = [asyncio.create_task(writer.submit(f"村{i}")) for i in range(5)]
    await asyncio.sleep(0.05)
    writes.gate.set()
    ids = await asyncio.gather(first, *later)
    assert writes.groups == [[f"村{i}" for i in range(5)]]  # the gate went alone
    assert writer.largest == 5
    names = await _towns(app)
    assert sorted(names) == sorted(["闸", *(f"村{i}" for i in range(5))])
    assert len(set(ids)) == 6  # each caller got its own row's id


async def test_a_failed_group_is_written_one_by_one(app: FastAPI) -> None:
    writer = writes = Writes(app, writers=1)
    first = asyncio.create_task(writer.submit("闸"))
    await asyncio.sleep(0.05)
    later = [asyncio.create_task(writer.submit(name)) for name in ("甲", "坏", "乙")]
    await asyncio.sleep(0.05)
    writes.gate.set()
    answers = await asyncio.gather(first, *later, return_exceptions=True)
    assert writes.groups == [["甲", "坏", "乙"]]
    assert isinstance(answers[2], Refused)
    assert all(isinstance(a, int) for i, a in enumerate(answers) if i != 2)
    # 甲 and 乙 once each (the group's rows were rolled back), 坏 never.
    assert sorted(await _towns(app)) == sorted(["闸", "甲", "乙"])
    assert writer.largest == 0  # nothing was written together


async def test_a_caller_that_goes_away_keeps_its_write(app: FastAPI) -> None:
    writer = writes = Writes(app)
    gone = asyncio.create_task(writer.submit("闸"))
    await asyncio.sleep(0.05)
    gone.cancel()
    writes.gate.set()
    await writer.idle()
    assert await _towns(app) == ["闸"]


class Sorting(Writes):
    """A group that refuses "拒" in its place (writing nothing of it) and writes the rest."""

    async def together(self, session: AsyncSession, items: Sequence[str]) -> list[int | Exception]:
        self.groups.append(list(items))
        return [Refused() if name == "拒" else await self._one(session, name) for name in items]


async def test_a_group_may_refuse_one_write_and_keep_the_others(app: FastAPI) -> None:
    writer = Sorting(app, writers=1)
    names = ["村甲", "拒", "村乙"]
    answers = await asyncio.gather(*(writer.submit(n) for n in names), return_exceptions=True)
    assert writer.groups == [names] and writer.largest == 3  # one group, never one by one
    assert isinstance(answers[1], Refused)
    assert all(isinstance(a, int) for a in (answers[0], answers[2]))
    assert await _towns(app) == ["村甲", "村乙"]


async def test_a_lone_write_in_a_burst_waits_for_the_busy_writer(app: FastAPI) -> None:
    writer = writes = Writes(app, writers=2)
    held = asyncio.create_task(writer.submit("闸"))
    await asyncio.sleep(0.05)  # the first writer is busy at the gate
    lone = asyncio.create_task(writer.submit("孤"))
    await asyncio.sleep(0.05)
    assert not lone.done()  # not written alone by a second writer meanwhile
    writes.gate.set()
    assert isinstance(await lone, int) and isinstance(await held, int)
    # The busy writer wrote it once it was free, after its own.
    assert await _towns(app) == ["闸", "孤"]

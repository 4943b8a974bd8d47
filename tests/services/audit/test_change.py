"""An audited change writes one entry with the row before and after, or none if it fails."""

import pytest
from fastapi import FastAPI
from sqlmodel import select

from app.models.audit import AuditEntry
from app.models.roster import Town
from app.services import audit
from app.services.identity import Location, Principal

CLERK = Principal(account_id=1, person_id=None, session_id="s")


async def _entries(app: FastAPI, town_id: int) -> list[AuditEntry]:
    async with app.state.sessionmaker() as session:
        stmt = select(AuditEntry).where(AuditEntry.target_id == str(town_id))
        return list((await session.exec(stmt)).all())


async def test_a_change_is_logged_with_both_pictures_and_what_it_adds(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        town = Town(name="审计镇", appeal_days=7)
        session.add(town)
        await session.flush()
        async with audit.change(
            session,
            actor=None,
            row=town,
            action=lambda changed: f"town.appeal_days_{changed.appeal_days}",
            target_type="town",
            where=lambda changed: Location(town_id=changed.id),
            picture=lambda row: {"appeal_days": row.appeal_days},
        ) as change:
            town.appeal_days = 10
            change.extra = {"reason": "镇里决定"}
    assert town.id is not None
    [entry] = await _entries(app, town.id)
    assert entry.action == "town.appeal_days_10" and entry.town_id == town.id
    assert entry.before == {"appeal_days": 7}
    assert entry.after == {"appeal_days": 10, "reason": "镇里决定"}


async def test_a_change_that_fails_logs_nothing(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        town = Town(name="失败镇")
        session.add(town)
        await session.flush()
        town_id = town.id
        with pytest.raises(ValueError, match="不行"):
            async with audit.change(
                session,
                actor=CLERK,
                row=town,
                action="town.update",
                target_type="town",
                where=Location(town_id=town_id),
            ):
                town.appeal_days = 30
                raise ValueError("不行")
    assert town_id is not None
    assert await _entries(app, town_id) == []

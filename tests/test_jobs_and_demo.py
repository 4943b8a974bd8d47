"""Background housekeeping and the demo town."""

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import func, select

from app.china_time import utcnow
from app.jobs import purge_expired
from app.models.idempotency import IdempotencyRecord
from app.models.media import Media
from app.models.points import LedgerEntry
from app.models.roster import Person, Village
from app.services.demo.town import DEMO_PASSWORD, seed_demo
from tests.helpers.media import photo


async def test_purge_forgets_only_expired_idempotency_records(app: FastAPI) -> None:
    now = utcnow()
    async with app.state.sessionmaker() as session, session.begin():
        for key, expires in (
            ("old", now - timedelta(minutes=1)),
            ("fresh", now + timedelta(hours=1)),
        ):
            session.add(
                IdempotencyRecord(
                    owner="account:1", key=key, request_hash="h", state="done", expires_at=expires
                )
            )
    result = await purge_expired({"sessionmaker": app.state.sessionmaker})
    assert result["idempotency_records"] == 1
    async with app.state.sessionmaker() as session:
        keys = (await session.exec(select(IdempotencyRecord.key))).all()
    assert keys == ["fresh"]


async def test_seed_demo_makes_a_usable_town_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    lines: list[str] = []
    async with app.state.sessionmaker() as session, session.begin():
        logins = await seed_demo(session, storage=app.state.storage, progress=lines.append)
    assert lines, "seed-demo prints its progress"
    async with app.state.sessionmaker() as session, session.begin():
        assert await seed_demo(session, storage=app.state.storage) == []
    async with app.state.sessionmaker() as session:
        people = (await session.exec(select(func.count()).select_from(Person))).one()
        villages = (await session.exec(select(func.count()).select_from(Village))).one()
    assert villages == 2
    assert 25 <= people <= 40
    usernames = {username for _, username, _ in logins}
    assert {"admin", "town_admin", "village1_admin"} <= usernames
    token = await client.post(
        "/api/v1/auth/token", data={"username": "village1_admin", "password": DEMO_PASSWORD}
    )
    assert token.status_code == 200
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    households = await client.get("/api/v1/admin/households", headers=auth)
    assert len(households.json()["items"]) == 6
    village_id = households.json()["items"][0]["village_id"]
    board = await client.get(
        "/api/v1/points/leaderboard",
        params={"village_id": village_id, "period": "all"},
        headers=auth,
    )
    points = [row["points"] for row in board.json()["items"]]
    assert len(points) == 6 and all(p > 0 for p in points) and len(set(points)) > 1
    pending = await client.get("/api/v1/admin/points/pending", headers=auth)
    assert [e["rule_code"] for e in pending.json()["items"]] == ["lead_coop"]
    # A photo uploaded anywhere afterwards never becomes a demo household's evidence.
    upload = await client.post(
        "/api/v1/media",
        files={"file": ("e.jpg", photo(), "image/jpeg")},
        data={"purpose": "evidence"},
        headers=auth,
    )
    assert upload.status_code == 201, upload.text
    async with app.state.sessionmaker() as session:
        entries = (await session.exec(select(LedgerEntry))).all()
        media = {m.id: m for m in (await session.exec(select(Media))).all()}
    named = [(e.village_id, i) for e in entries for i in e.media_ids]
    assert all(i in media and media[i].village_id == village for village, i in named), named

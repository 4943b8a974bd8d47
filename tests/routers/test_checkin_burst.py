"""A Party day's burst: members scanning at once are written together (group commit), and
each still gets exactly their own record, points, chain, audit entry and inbox message; a
rule's daily cap holds when one member's two check-ins land in one group; and a scan the
group cannot write is refused on its own while the others land."""

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from app.models.audit import AuditEntry
from app.models.events import Attendance
from app.models.points import PointsAccount
from app.services.events import CheckinWriter
from app.services.points import chain
from tests.helpers.events import auth, make_event, member, token_for
from tests.helpers.factories import Login, World
from tests.helpers.points import make_rule


async def _scan(
    client: httpx.AsyncClient, event: dict[str, Any], token: str, who: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event['id']}/checkins", json={"token": token}, headers=auth(who)
    )


async def test_a_burst_is_written_together_and_each_member_hears_their_own(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(
        client,
        world,
        code="party_day",
        title="参加主题党日",
        ledger="member",
        points=5,
        daily_cap=5,
    )
    morning = await make_event(client, world, rule_code="party_day", title="上午主题党日")
    lecture = await make_event(client, world, rule_code="party_day", title="上午党课")
    members = [await member(client, world, login, f"群签{i}") for i in range(24)]
    tokens = {e["id"]: await token_for(client, world, e["id"]) for e in (morning, lecture)}
    # Everyone at the Party day; the first four tap twice; the first six also scan the
    # lecture's code in the same moment (the rule's daily cap of 5 allows one award).
    scans = [(morning, who) for who in members] + [(morning, who) for who in members[:4]]
    scans += [(lecture, who) for who in members[:6]]
    answers = await asyncio.gather(*(_scan(client, e, tokens[e["id"]], w) for e, w in scans))

    assert app.state.writers.get(CheckinWriter).largest > 1, "the burst was never written together"
    made: dict[tuple[int, str], httpx.Response] = {}
    for (event, who), answer in zip(scans, answers, strict=True):
        assert answer.status_code in (200, 201), answer.text
        key = (event["id"], who["person_id"])
        if answer.status_code == 201:
            assert key not in made, "two records for one member and event"
            made[key] = answer
    assert len(made) == 24 + 6  # each double tap made one record, answered twice
    for (event, who), answer in zip(scans, answers, strict=True):
        assert answer.json()["id"] == made[event["id"], who["person_id"]].json()["id"]

    for i, who in enumerate(members):
        points = (
            await client.get("/api/v1/me/points", params={"ledger": "member"}, headers=auth(who))
        ).json()
        assert points["balance"] == 5, (who, points)  # capped, never 10
        assert len(points["items"]) == (2 if i < 6 else 1)
        inbox = (await client.get("/api/v1/me/notifications", headers=auth(who))).json()
        told = [n for n in inbox["items"] if n["kind"] == "points_posted"]
        assert len(told) == (2 if i < 6 else 1)

    async with app.state.sessionmaker() as session:
        for (_, person_id), answer in made.items():
            attendance = await session.get(Attendance, answer.json()["id"])
            assert attendance is not None and attendance.ledger_entry_id is not None
            trail = (
                await session.exec(
                    select(AuditEntry).where(
                        col(AuditEntry.target_type) == "ledger_entry",
                        col(AuditEntry.target_id) == str(attendance.ledger_entry_id),
                    )
                )
            ).one()
            # The audit entry names the request that scanned, not the one that wrote the group.
            assert trail.request_id == answer.headers["x-request-id"]
            account = (
                await session.exec(
                    select(PointsAccount).where(
                        col(PointsAccount.owner_type) == "person",
                        col(PointsAccount.owner_id) == int(person_id),
                    )
                )
            ).one()
            assert (await chain.verify(session, account=account)).ok


async def test_a_scan_the_group_cannot_write_is_refused_alone(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="party_day", ledger="member", points=5)
    retired = await make_rule(client, world, code="old_day", ledger="member", points=3)
    open_day = await make_event(client, world, rule_code="party_day")
    stale_day = await make_event(client, world, rule_code="old_day", title="旧规则的党日")
    r = await client.patch(
        f"/api/v1/admin/scoring-rules/{retired['id']}",
        json={"enabled": False},
        headers=world.auth("town_a_admin"),
    )
    assert r.status_code == 200, r.text
    members = [await member(client, world, login, f"拒签{i}") for i in range(12)]
    good = await token_for(client, world, open_day["id"])
    bad = await token_for(client, world, stale_day["id"])
    scans = [(open_day, good, who) for who in members] + [(stale_day, bad, members[0])]
    answers = await asyncio.gather(*(_scan(client, e, t, w) for e, t, w in scans))

    assert [a.status_code for a in answers[:-1]] == [201] * 12
    refused = answers[-1]
    assert refused.status_code == 422 and refused.json()["code"] == "points.rule_disabled"
    async with app.state.sessionmaker() as session:
        kept = (
            await session.exec(
                select(Attendance).where(col(Attendance.event_id) == stale_day["id"])
            )
        ).all()
        assert kept == []  # the refused scan left no record behind


async def test_a_retried_scan_under_its_key_replays_the_first_answer(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="party_day", ledger="member", points=5)
    event = await make_event(client, world, rule_code="party_day")
    who = await member(client, world, login, "重试党员")
    token = await token_for(client, world, event["id"])
    url = f"/api/v1/events/{event['id']}/checkins"
    headers = {**auth(who), "Idempotency-Key": "scan-1"}
    # The phone lost the first answer on a weak network and sends the same request again.
    first = await client.post(url, json={"token": token}, headers=headers)
    again = await client.post(url, json={"token": token}, headers=headers)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    points = (
        await client.get("/api/v1/me/points", params={"ledger": "member"}, headers=auth(who))
    ).json()
    assert points["balance"] == 5 and len(points["items"]) == 1

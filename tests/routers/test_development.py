"""Admitting a member by the "525" procedure: every step in order, each interval at its exact
edge (a day early refused, the day itself accepted), introducers who are full members, the
branch congress's quorum and majority, the public notice without ID numbers, the roster flags
after each stage, and the overdue list."""

from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app.china_time import to_china, utcnow
from app.models.notifications import Notification
from app.models.roster import Person
from app.services.development import reminders
from tests.helpers.factories import World, _phones

CASES = "/api/v1/admin/development/cases"


async def _person(client: httpx.AsyncClient, world: World, name: str, member: bool) -> int:
    r = await client.post(
        "/api/v1/admin/people",
        json={
            "name": name,
            "phone": str(next(_phones)),
            "village_id": world.ids["v1"],
            "branch_id": world.ids["b1"],
            "is_party_member": member,
        },
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _flags(app: FastAPI, person_id: int) -> tuple[bool, bool]:
    async with app.state.sessionmaker() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        return person.is_party_member, person.is_probationary_member


async def _do(
    client: httpx.AsyncClient, world: World, case_id: int, step: str, day: date, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{CASES}/{case_id}/steps",
        json={"step": step, "done_at": day.isoformat(), **extra},
        headers=world.auth("b1_admin"),
    )


async def _ok(
    client: httpx.AsyncClient, world: World, case_id: int, step: str, day: date, **extra: Any
) -> dict:
    r = await _do(client, world, case_id, step, day, **extra)
    assert r.status_code == 200, (step, r.text)
    return dict(r.json())


async def test_the_25_steps_are_served_as_data(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/api/v1/admin/development/steps", headers=world.auth("b1_admin"))
    items = r.json()["items"]
    assert [i["order"] for i in items] == list(range(1, 26))
    assert (items[0]["code"], items[1]["code"], items[-1]["code"]) == (
        "application",
        "talk",
        "archive",
    )
    assert {i["stage"] for i in items} == {
        "applicant",
        "activist",
        "candidate",
        "probationary",
        "full_member",
    }


async def test_from_application_to_full_membership(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    applicant = await _person(client, world, "李申请", member=False)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Person)
            .where(col(Person.id) == applicant)
            .values(sex="女", birth_month="1998-05")
        )
    first = await _person(client, world, "介绍人甲", member=True)
    second = await _person(client, world, "介绍人乙", member=True)
    probationer = await _person(client, world, "预备党员丙", member=True)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Person).where(col(Person.id) == probationer).values(is_probationary_member=True)
        )
    future = await client.post(
        CASES,
        json={
            "person_id": applicant,
            "branch_id": world.ids["b1"],
            "applied_at": (to_china(utcnow()).date() + timedelta(days=1)).isoformat(),
        },
        headers=world.auth("b1_admin"),
    )
    assert future.status_code == 422
    opened = await client.post(
        CASES,
        json={"person_id": applicant, "branch_id": world.ids["b1"], "applied_at": "2024-01-10"},
        headers=world.auth("b1_admin"),
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert (case["stage"], case["next_step"]) == ("applicant", "talk")
    assert (case["due_at"], case["due_kind"]) == ("2024-02-10", "deadline")
    cid = case["id"]
    twice = await client.post(
        CASES,
        json={"person_id": applicant, "branch_id": world.ids["b1"], "applied_at": "2024-01-10"},
        headers=world.auth("b1_admin"),
    )
    assert twice.status_code == 409
    skipped = await _do(client, world, cid, "activist_selection", date(2024, 2, 1))
    assert skipped.status_code == 409 and skipped.json()["code"] == "development.wrong_step"
    before = await _do(client, world, cid, "talk", date(2024, 1, 9))
    assert before.status_code == 422 and before.json()["code"] == "development.too_early"
    await _ok(client, world, cid, "talk", date(2024, 2, 5))
    activist = await _ok(client, world, cid, "activist_selection", date(2024, 3, 1))
    assert activist["stage"] == "activist"
    for step, day in (
        ("activist_filing", date(2024, 3, 5)),
        ("activist_contacts", date(2024, 3, 6)),
        ("activist_education", date(2024, 9, 1)),
    ):
        await _ok(client, world, cid, step, day)
    # A year as activist: a day early is refused, the day itself accepted.
    early = await _do(client, world, cid, "candidate_selection", date(2025, 2, 28))
    assert early.status_code == 422 and early.json()["code"] == "development.too_early"
    candidate = await _ok(client, world, cid, "candidate_selection", date(2025, 3, 1))
    assert candidate["stage"] == "candidate"
    await _ok(client, world, cid, "candidate_filing", date(2025, 3, 5))
    for wrong in (
        [first],
        [first, applicant],
        [first, probationer],
        [first, world.ids["v1_villager"]],
    ):
        refused = await _do(
            client, world, cid, "introducers", date(2025, 3, 10), participants=wrong
        )
        assert refused.status_code == 422, wrong
        assert refused.json()["code"] == "development.participants_required"
    await _ok(client, world, cid, "introducers", date(2025, 3, 10), participants=[first, second])
    for step, day in (
        ("political_review", date(2025, 4, 1)),
        ("training", date(2025, 4, 15)),
    ):
        await _ok(client, world, cid, step, day)
    reviewed = await _ok(client, world, cid, "branch_committee_review", date(2025, 4, 20))
    notice = await client.get(
        "/api/v1/feed",
        params={"category": "disclosure_member_development"},
        headers=world.auth("v1_villager"),
    )
    [post] = notice.json()["items"]
    assert post["id"] == reviewed["notice_post_id"]
    assert "李申请" in post["body"] and "女" in post["body"] and "岁" in post["body"]
    assert "一村党支部" in post["body"]
    async with app.state.sessionmaker() as session:
        person = await session.get(Person, applicant)
        assert person is not None and person.phone and person.phone not in post["body"]
    for step, day in (("pre_review", date(2025, 5, 1)), ("application_form", date(2025, 5, 5))):
        await _ok(client, world, cid, step, day)
    congress = {"expected": 21, "present": 11, "in_favour": 11}
    for votes, code in (
        (None, "development.votes_required"),
        ({**congress, "present": 10, "in_favour": 10}, "development.no_quorum"),
        ({**congress, "in_favour": 10}, "development.not_passed"),
        ({**congress, "present": 22}, "development.votes_invalid"),
    ):
        extra = {"votes": votes} if votes else {}
        failed = await _do(client, world, cid, "branch_congress", date(2025, 5, 10), **extra)
        assert failed.status_code == 422 and failed.json()["code"] == code, failed.text
    voted = await _ok(client, world, cid, "branch_congress", date(2025, 5, 10), votes=congress)
    assert voted["steps"][-1]["votes"] == congress
    talked = await _ok(client, world, cid, "approval_talk", date(2025, 5, 20))
    assert (talked["due_at"], talked["due_kind"]) == ("2025-08-10", "deadline")
    assert await _flags(app, applicant) == (False, False)
    approved = await _ok(client, world, cid, "approval", date(2025, 6, 1))
    assert approved["stage"] == "probationary"
    assert await _flags(app, applicant) == (True, True)  # a member, in probation
    for step, day in (
        ("approval_filing", date(2025, 6, 5)),
        ("joining_group", date(2025, 6, 10)),
        ("oath", date(2025, 7, 1)),
        ("probation_education", date(2025, 12, 1)),
        ("full_application", date(2026, 5, 1)),
    ):
        await _ok(client, world, cid, step, day)
    # A year of probation, counted from the approval.
    early = await _do(client, world, cid, "full_congress", date(2026, 5, 31), votes=congress)
    assert early.status_code == 422 and early.json()["code"] == "development.too_early"
    await _ok(client, world, cid, "full_congress", date(2026, 6, 1), votes=congress)
    full = await _ok(client, world, cid, "full_approval", date(2026, 6, 10))
    assert full["stage"] == "full_member"
    assert await _flags(app, applicant) == (True, False)
    done = await _ok(client, world, cid, "archive", date(2026, 6, 20))
    assert done["next_step"] is None and len(done["steps"]) == 25
    after = await _do(client, world, cid, "archive", date(2026, 6, 21))
    assert after.status_code == 409


async def test_overdue_cases_are_listed_reminded_and_scoped(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    late = await _person(client, world, "迟迟未谈话", member=False)
    fresh = await _person(client, world, "刚申请", member=False)
    today = to_china(utcnow()).date()
    for person, applied in ((late, today - timedelta(days=60)), (fresh, today)):
        r = await client.post(
            CASES,
            json={
                "person_id": person,
                "branch_id": world.ids["b1"],
                "applied_at": applied.isoformat(),
            },
            headers=world.auth("b1_admin"),
        )
        assert r.status_code == 201, r.text
    overdue = await client.get(CASES, params={"overdue": True}, headers=world.auth("b1_admin"))
    assert [c["person_id"] for c in overdue.json()["items"]] == [late]
    assert overdue.json()["items"][0]["overdue"] is True
    for _ in range(2):  # the hourly job, run twice: the branch admin is told once
        async with app.state.sessionmaker() as session, session.begin():
            await reminders.remind_overdue(session, now=utcnow())
    async with app.state.sessionmaker() as session:
        told = (
            await session.exec(
                select(Notification).where(col(Notification.kind) == "development_overdue")
            )
        ).all()
    assert [(n.person_id, n.occasion) for n in told] == [(world.ids["b1_admin"], "talk")]
    assert "迟迟未谈话" in told[0].body
    every = await client.get(CASES, params={"stage": "applicant"}, headers=world.auth("v1_admin"))
    assert len(every.json()["items"]) == 2
    assert (await client.get(CASES, headers=world.auth("v2_admin"))).json()["items"] == []
    foreign = await client.post(
        CASES,
        json={"person_id": late, "branch_id": world.ids["b2"], "applied_at": today.isoformat()},
        headers=world.auth("b1_admin"),
    )
    assert foreign.status_code == 404

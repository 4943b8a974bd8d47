"""Issue 27, items 4, 8, 10, 11 and 12: ids in a body that belong to another village, grants
that no longer hold, and what one village may read of another's."""

from datetime import date, timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import col, update

from app.china_time import to_china, utcnow
from app.models.roster import RoleGrant
from tests.helpers.events import member
from tests.helpers.factories import Login, World

CASES = "/api/v1/admin/development/cases"


async def _person(client: httpx.AsyncClient, world: World, village: str, phone: str) -> int:
    r = await client.post(
        "/api/v1/admin/people",
        json={"name": f"申请人{phone[-2:]}", "phone": phone, "village_id": world.ids[village]},
        headers=world.auth("town_a_admin"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _grant(
    client: httpx.AsyncClient, world: World, person_id: int, role: str, scope: str, scope_id: int
) -> int:
    r = await client.post(
        "/api/v1/admin/role-grants",
        json={"person_id": person_id, "role": role, "scope_type": scope, "scope_id": scope_id},
        headers=world.auth("town_a_admin"),
    )
    assert r.status_code in (200, 201), r.text
    return int(r.json()["id"])


async def test_a_case_is_opened_only_for_the_branchs_own_villagers(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    """Village 2's admin (and village 2's branch admin) named a village-1 villager in their
    own branch's case and stepped it to approval: refused now, and village 1 can still open it."""
    branch_admin = await _person(client, world, "v2", "13711110001")
    await _grant(client, world, branch_admin, "branch_admin", "branch", world.ids["b2"])
    callers = {
        "v2_admin": world.auth("v2_admin"),
        "b2_admin": {"Authorization": f"Bearer {await login(branch_admin)}"},
    }
    stranger = world.ids["v1_villager"]
    applied = (to_china(utcnow()).date() - timedelta(days=3)).isoformat()
    for who, headers in callers.items():
        r = await client.post(
            CASES,
            json={"person_id": stranger, "branch_id": world.ids["b2"], "applied_at": applied},
            headers=headers,
        )
        assert r.status_code == 422, (who, r.text)
        assert r.json()["code"] == "development.person_elsewhere"
    # Another village's branch in the body: that branch is not found for this admin.
    across = await client.post(
        CASES,
        json={"person_id": stranger, "branch_id": world.ids["b1"], "applied_at": applied},
        headers=world.auth("v2_admin"),
    )
    assert across.status_code == 404, across.text
    own = await client.post(
        CASES,
        json={"person_id": stranger, "branch_id": world.ids["b1"], "applied_at": applied},
        headers=world.auth("v1_admin"),
    )
    assert own.status_code == 201, own.text


async def test_introducers_from_another_village_are_refused(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    applicant = await _person(client, world, "v1", "13711110002")
    ours = [int((await member(client, world, login, f"介绍人{i}"))["person_id"]) for i in (1, 2)]
    theirs = int((await member(client, world, login, "二村党员", branch="b2"))["person_id"])
    case = await client.post(
        CASES,
        json={"person_id": applicant, "branch_id": world.ids["b1"], "applied_at": "2024-01-10"},
        headers=world.auth("v1_admin"),
    )
    assert case.status_code == 201, case.text
    steps = f"{CASES}/{case.json()['id']}/steps"
    for step, day in (
        ("talk", "2024-02-05"),
        ("activist_selection", "2024-03-01"),
        ("activist_filing", "2024-03-05"),
        ("activist_contacts", "2024-03-06"),
        ("activist_education", "2024-09-01"),
        ("candidate_selection", "2025-03-01"),
        ("candidate_filing", "2025-03-05"),
    ):
        r = await client.post(
            steps, json={"step": step, "done_at": day}, headers=world.auth("v1_admin")
        )
        assert r.status_code == 200, (step, r.text)
    done = date(2025, 3, 5)
    done += timedelta(days=5)
    foreign = await client.post(
        steps,
        json={"step": "introducers", "done_at": str(done), "participants": [ours[0], theirs]},
        headers=world.auth("v1_admin"),
    )
    assert foreign.status_code == 422, foreign.text
    assert foreign.json()["code"] == "development.participants_required"
    fine = await client.post(
        steps,
        json={"step": "introducers", "done_at": str(done), "participants": ours},
        headers=world.auth("v1_admin"),
    )
    assert fine.status_code == 200, fine.text


async def test_an_honour_names_only_someone_of_the_callers_village(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {
        "year": 2026,
        "title": "最差村民",
        "village_id": world.ids["v2"],
        "citation": "在本村表现很差，特此通报。",
    }
    for subject in ({"person_id": world.ids["v1_villager"]}, {"household_id": world.ids["h1"]}):
        r = await client.post(
            "/api/v1/admin/honours", json={**body, **subject}, headers=world.auth("v2_admin")
        )
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "honour.not_found" and "v1_villager" not in r.text
    feed = await client.get("/api/v1/feed", headers=world.auth("v2_villager"))
    assert all("最差村民" not in post["title"] for post in feed.json()["items"])
    # A town admin may not pin a village-1 household on village 2's feed either.
    misplaced = await client.post(
        "/api/v1/admin/honours",
        json={**body, "household_id": world.ids["h1"]},
        headers=world.auth("town_a_admin"),
    )
    assert misplaced.status_code == 404, misplaced.text


async def test_a_request_goes_only_to_those_who_serve_the_village_now(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    made = await client.post(
        "/api/v1/service-requests",
        json={"kind": "errand", "title": "代办低保年审", "description": "请帮忙准备材料"},
        headers=world.auth("v1_villager"),
    )
    assert made.status_code == 201, made.text
    path = f"/api/v1/admin/service-requests/{made.json()['id']}/transitions"
    town_branch = await client.post(
        "/api/v1/admin/branches",
        json={"town_id": world.ids["town_a"], "name": "镇中学党支部"},
        headers=world.auth("town_a_admin"),
    )
    teacher = await _person(client, world, "v2", "13711110003")
    await _grant(client, world, teacher, "branch_admin", "branch", town_branch.json()["id"])
    former = await _person(client, world, "v1", "13711110004")
    grant = await _grant(client, world, former, "village_admin", "village", world.ids["v1"])
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(RoleGrant).where(col(RoleGrant.id) == grant).values(revoked_at=utcnow())
        )
    for person in (teacher, former):
        r = await client.post(
            path, json={"action": "reassign", "person_id": person}, headers=world.auth("v1_admin")
        )
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "service_request.handler_invalid"
    serving = await client.post(
        path,
        json={"action": "reassign", "person_id": world.ids["b1_admin"]},
        headers=world.auth("v1_admin"),
    )
    assert serving.status_code == 422  # a branch admin serves a branch, not the village's desk
    village = await client.post(
        path,
        json={"action": "reassign", "person_id": world.ids["v1_admin"]},
        headers=world.auth("v1_admin"),
    )
    assert village.status_code == 200, village.text


async def test_a_contact_visit_rule_must_be_capped(client: httpx.AsyncClient, world: World) -> None:
    rule = {
        "code": "contact_visit",
        "title": "党员联系户走访",
        "ledger": "member",
        "points": 2,
        "town_id": world.ids["town_a"],
    }
    uncapped = await client.post(
        "/api/v1/admin/scoring-rules", json=rule, headers=world.auth("town_a_admin")
    )
    assert uncapped.status_code == 422 and uncapped.json()["code"] == "points.cap_required"
    capped = await client.post(
        "/api/v1/admin/scoring-rules",
        json={**rule, "daily_cap": 4},
        headers=world.auth("town_a_admin"),
    )
    assert capped.status_code == 201, capped.text
    lifted = await client.patch(
        f"/api/v1/admin/scoring-rules/{capped.json()['id']}",
        json={"daily_cap": None},
        headers=world.auth("town_a_admin"),
    )
    assert lifted.status_code == 422 and lifted.json()["code"] == "points.cap_required"


async def test_contact_visits_earn_no_more_than_the_days_cap(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await client.post(
        "/api/v1/admin/scoring-rules",
        json={
            "code": "contact_visit",
            "title": "党员联系户走访",
            "ledger": "member",
            "points": 2,
            "daily_cap": 4,
            "town_id": world.ids["town_a"],
        },
        headers=world.auth("town_a_admin"),
    )
    serving = await member(client, world, login, "联系党员")
    paired = await client.post(
        "/api/v1/admin/pairings",
        json={"person_id": serving["person_id"], "household_ids": [world.ids["h1"]]},
        headers=world.auth("b1_admin"),
    )
    assert paired.status_code == 200, paired.text
    for _ in range(10):
        r = await client.post(
            "/api/v1/contact-logs",
            json={"household_id": world.ids["h1"], "kind": "visit", "note": "了解冬季取暖"},
            headers={"Authorization": serving["Authorization"]},
        )
        assert r.status_code == 201, r.text
    points = await client.get(
        "/api/v1/me/points",
        params={"ledger": "member"},
        headers={"Authorization": serving["Authorization"]},
    )
    assert points.json()["balance"] == 4


async def test_published_matters_list_and_item_agree(
    client: httpx.AsyncClient, world: World
) -> None:
    listed = await client.get(
        "/api/v1/proposals",
        params={"village_id": world.ids["v1"]},
        headers=world.auth("v2_villager"),
    )
    assert listed.status_code == 404, listed.text
    own = await client.get(
        "/api/v1/proposals",
        params={"village_id": world.ids["v1"]},
        headers=world.auth("v1_villager"),
    )
    assert own.status_code == 200 and own.json()["items"] == []
    watched = await client.get(
        "/api/v1/proposals", params={"village_id": world.ids["v1"]}, headers=world.auth("v1_admin")
    )
    assert watched.status_code == 200
    elsewhere = await client.get(
        "/api/v1/proposals", params={"village_id": world.ids["v1"]}, headers=world.auth("v2_admin")
    )
    assert elsewhere.status_code == 404

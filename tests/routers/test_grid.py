"""Grid tasks: the whole state machine, concurrent transitions, scopes across grids and villages,
assigned jobs and due times."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from app.china_time import utcnow
from app.models.grid import GridTask
from app.models.roster import Grid, Person, Role, RoleGrant, ScopeType
from tests.helpers.factories import Login, World
from tests.helpers.grid import act, report, upload

ACTIONS = ("accept", "start", "resolve", "close", "reject", "reopen")
# Written out here, apart from the service's table: what each status allows.
ALLOWED = {
    "reported": {"accept", "reject"},
    "accepted": {"start", "reject"},
    "in_progress": {"resolve"},
    "resolved": {"close", "reopen"},
    "closed": {"reopen"},
    "rejected": set(),
}
PATHS = {
    "reported": [],
    "accepted": ["accept"],
    "in_progress": ["accept", "start"],
    "resolved": ["accept", "start", "resolve"],
    "closed": ["accept", "start", "resolve", "close"],
    "rejected": ["reject"],
}


async def test_a_report_goes_all_the_way_and_keeps_its_history(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await report(client, world)
    assert r.status_code == 201, r.text
    task = r.json()
    assert (task["status"], task["origin"], task["grid_id"]) == (
        "reported",
        "reported",
        world.ids["g1"],
    )
    # WGS-84 from the phone is stored as GCJ-02: a few hundred metres apart in China.
    assert task["lat"] != 30.5 and abs(task["lat"] - 30.5) < 0.01
    assert task["priority"] == "normal" and not task["overdue"] and len(task["media"]) == 1
    task_id = task["id"]
    assert (await act(client, world, task_id, "accept")).json()["status"] == "accepted"
    assert (await act(client, world, task_id, "start", "g1_worker")).json()[
        "status"
    ] == "in_progress"
    bare = await act(client, world, task_id, "resolve", "g1_worker", media_ids=[])
    assert bare.status_code == 422 and bare.json()["code"] == "grid.after_photo_required"
    done = await act(client, world, task_id, "resolve", "g1_worker", note="已清运")
    assert done.json()["status"] == "resolved" and done.json()["resolved_at"]
    closed = await act(client, world, task_id, "close")
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    again = await act(client, world, task_id, "reopen", note="又堆上了")
    assert again.json()["status"] == "in_progress" and again.json()["resolved_at"] is None
    detail = await client.get(f"/api/v1/grid/tasks/{task_id}", headers=world.auth("v1_admin"))
    steps = detail.json()["transitions"]
    assert [s["action"] for s in steps] == [
        "reported",
        "accept",
        "start",
        "resolve",
        "close",
        "reopen",
    ]
    assert steps[3]["note"] == "已清运" and len(steps[3]["media"]) == 1
    assert steps[1]["actor_person_id"] == world.ids["v1_admin"]
    assert steps[2]["actor_person_id"] == world.ids["g1_worker"]


async def test_every_action_from_every_status(client: httpx.AsyncClient, world: World) -> None:
    refused = 0
    for status, path in PATHS.items():
        for action in ACTIONS:
            task_id = (await report(client, world)).json()["id"]
            for step in path:
                assert (await act(client, world, task_id, step)).status_code == 200
            answer = await act(client, world, task_id, action)
            if action in ALLOWED[status]:
                assert answer.status_code == 200, (status, action, answer.text)
            else:
                refused += 1
                assert answer.status_code == 409, (status, action, answer.text)
                assert answer.json()["code"] == "grid.invalid_transition"
                assert "不能" in answer.json()["detail"]
    assert refused == 28  # 36 pairs, 8 of them moves


async def test_grid_workers_cannot_take_the_cadres_decisions(
    client: httpx.AsyncClient, world: World
) -> None:
    task_id = (await report(client, world)).json()["id"]
    for action in ("accept", "reject"):
        r = await act(client, world, task_id, action, "g1_worker")
        assert r.status_code == 403 and r.json()["code"] == "grid.action_forbidden"
    villager = await act(client, world, task_id, "accept", "v1_villager")
    assert villager.status_code == 403


async def test_two_admins_at_once_cannot_both_win(client: httpx.AsyncClient, world: World) -> None:
    for pair in (("accept", "accept"), ("reject", "reject")):
        task_id = (await report(client, world)).json()["id"]
        answers = await asyncio.gather(
            act(client, world, task_id, pair[0], "v1_admin"),
            act(client, world, task_id, pair[1], "town_a_admin"),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        detail = await client.get(f"/api/v1/grid/tasks/{task_id}", headers=world.auth("v1_admin"))
        assert len(detail.json()["transitions"]) == 2  # the report and the one winner


@pytest.fixture
async def second_grid_worker(app: FastAPI, world: World, login: Login) -> dict[str, str]:
    """A grid worker of another grid in the same village."""
    async with app.state.sessionmaker() as s, s.begin():
        grid = Grid(town_id=world.ids["town_a"], village_id=world.ids["v1"], name="一村二网格")
        s.add(grid)
        await s.flush()
        person = Person(
            name="网格员二", phone="13700000002", town_id=grid.town_id, village_id=grid.village_id
        )
        s.add(person)
        await s.flush()
        s.add(
            RoleGrant(
                person_id=person.id or 0,
                role=Role.grid_worker.value,
                scope_type=ScopeType.grid.value,
                scope_id=grid.id,
                town_id=grid.town_id,
                village_id=grid.village_id,
                grid_id=grid.id,
            )
        )
        world.ids["g1b"], world.ids["g1b_worker"] = grid.id or 0, person.id or 0
    return {"Authorization": f"Bearer {await login(world.ids['g1b_worker'])}"}


async def test_scopes_across_grids_villages_and_towns(
    client: httpx.AsyncClient, world: World, second_grid_worker: dict[str, str]
) -> None:
    task_id = (await report(client, world)).json()["id"]
    path = f"/api/v1/grid/tasks/{task_id}"
    for who, status in (
        ("g1_worker", 200),
        ("v1_admin", 200),
        ("town_a_admin", 200),
        ("v2_admin", 404),
        ("town_b_admin", 404),
    ):
        assert (await client.get(path, headers=world.auth(who))).status_code == status, who
    assert (await client.get(path, headers=second_grid_worker)).status_code == 404
    other = await client.get("/api/v1/grid/tasks", headers=second_grid_worker)
    assert other.json()["items"] == []
    # Acting on a task one cannot see is the same 404.
    r = await client.post(
        f"{path}/transitions", json={"action": "start"}, headers=second_grid_worker
    )
    assert r.status_code == 404 and r.json()["code"] == "grid.task_not_found"
    for who in ("v2_admin", "town_b_admin"):
        listed = await client.get("/api/v1/grid/tasks", headers=world.auth(who))
        assert listed.json()["items"] == [], who
    # Reporting into someone else's grid is refused.
    wrong = await report(client, world, grid_id=world.ids["g1b"])
    assert wrong.status_code == 404 and wrong.json()["code"] == "grid.not_found"


async def test_lists_filter_and_page(client: httpx.AsyncClient, world: World, app: FastAPI) -> None:
    ids = []
    for category in ("sanitation", "dispute", "sanitation", "safety_hazard", "sanitation"):
        ids.append((await report(client, world, category=category)).json()["id"])
    await act(client, world, ids[0], "accept")
    async with app.state.sessionmaker() as s, s.begin():
        await s.execute(
            update(GridTask)
            .where(col(GridTask.id) == ids[1])
            .values(due_at=utcnow() - timedelta(hours=1))
        )
    headers = world.auth("v1_admin")

    async def listed(**params: Any) -> list[int]:
        r = await client.get("/api/v1/grid/tasks", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["items"]]

    assert await listed() == ids[::-1]  # newest first
    assert await listed(category="sanitation") == [ids[4], ids[2], ids[0]]
    assert await listed(status="accepted") == [ids[0]]
    assert await listed(overdue="true") == [ids[1]]
    assert ids[1] not in await listed(overdue="false")
    assert await listed(grid_id=world.ids["g2"]) == []
    first = await client.get("/api/v1/grid/tasks", params={"limit": 2}, headers=headers)
    new = (await report(client, world)).json()["id"]  # arrives between the pages
    second = await client.get(
        "/api/v1/grid/tasks",
        params={"limit": 10, "cursor": first.json()["next_cursor"]},
        headers=headers,
    )
    seen = [t["id"] for t in first.json()["items"] + second.json()["items"]]
    assert seen == ids[::-1] and new not in seen
    overdue = await client.get(f"/api/v1/grid/tasks/{ids[1]}", headers=headers)
    assert overdue.json()["overdue"] is True


async def test_assigned_jobs_and_due_times(client: httpx.AsyncClient, world: World) -> None:
    town = world.ids["town_a"]
    hours = {"urgent": 2, "high": 12, "normal": 48, "low": 120}
    r = await client.patch(
        f"/api/v1/admin/towns/{town}",
        json={"grid_due_hours": hours},
        headers=world.auth("town_a_admin"),
    )
    assert r.status_code == 200 and r.json()["grid_due_hours"] == hours
    job = {
        "origin": "assigned",
        "category": "safety_hazard",
        "title": "冬季消防安全巡查",
        "priority": "urgent",
        "grid_id": world.ids["g1"],
        "assignee_person_id": world.ids["g1_worker"],
        "media_ids": [],
    }
    made = await client.post("/api/v1/grid/tasks", json=job, headers=world.auth("v1_admin"))
    assert made.status_code == 201, made.text
    task = made.json()
    assert (task["origin"], task["status"]) == ("assigned", "accepted")
    assert task["assignee_person_id"] == world.ids["g1_worker"]
    due = datetime.fromisoformat(task["due_at"]) - datetime.fromisoformat(task["created_at"])
    assert due == timedelta(hours=2)
    # The grid worker starts it at once; assigning is the cadres' job.
    assert (await act(client, world, task["id"], "start", "g1_worker")).status_code == 200
    by_worker = await client.post("/api/v1/grid/tasks", json=job, headers=world.auth("g1_worker"))
    assert by_worker.status_code == 403 and by_worker.json()["code"] == "grid.action_forbidden"
    # Without a grid the job goes to the one grid the worker serves.
    unnamed = {k: v for k, v in job.items() if k != "grid_id"}
    inferred = await client.post("/api/v1/grid/tasks", json=unnamed, headers=world.auth("v1_admin"))
    assert inferred.status_code == 201 and inferred.json()["grid_id"] == world.ids["g1"]
    to_villager = {**job, "assignee_person_id": world.ids["v1_villager"]}
    bad = await client.post("/api/v1/grid/tasks", json=to_villager, headers=world.auth("v1_admin"))
    assert bad.status_code == 422 and bad.json()["code"] == "grid.assignee_invalid"
    low = await report(client, world, priority="low")
    due = datetime.fromisoformat(low.json()["due_at"]) - datetime.fromisoformat(
        low.json()["created_at"]
    )
    assert due == timedelta(hours=120)


async def test_a_report_needs_a_photo_and_a_grid_worker(
    client: httpx.AsyncClient, world: World
) -> None:
    bare = await report(client, world, media_ids=[])
    assert bare.status_code == 422 and bare.json()["code"] == "grid.photo_required"
    villager = await report(client, world, "v1_villager")
    assert villager.status_code == 403
    too_many = await report(client, world, media_ids=list(range(1, 11)))
    assert too_many.status_code == 422
    someone_elses = await upload(client, world.auth("v1_admin"))
    r = await report(client, world, media_ids=[someone_elses])
    assert r.status_code == 422 and r.json()["code"] == "grid.media_invalid"
    half = await report(client, world, lat=30.0, lng=None)
    assert half.status_code == 422

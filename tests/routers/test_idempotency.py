"""Idempotency-Key: replays, reuse with another body, concurrent retries."""

import asyncio
import json

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import func, select

from app.models.idempotency import IdempotencyRecord
from app.models.roster import Grid
from tests.helpers.factories import World


def _grid(world: World, name: str = "重试网格") -> dict:
    return {"village_id": world.ids["v1"], "name": name}


async def _grid_count(client: httpx.AsyncClient, world: World) -> int:
    """Grids the tests made (the world already has one, 一网格)."""
    r = await client.get("/api/v1/admin/grids", headers=world.auth("v1_admin"))
    return len([g for g in r.json()["items"] if g["id"] != world.ids["g1"]])


async def test_replay_returns_the_first_answer(client: httpx.AsyncClient, world: World) -> None:
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "grid-1"}
    first = await client.post("/api/v1/admin/grids", json=_grid(world), headers=headers)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    second = await client.post("/api/v1/admin/grids", json=_grid(world), headers=headers)
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert await _grid_count(client, world) == 1


async def test_errors_are_replayed_too(client: httpx.AsyncClient, world: World) -> None:
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "dup"}
    body = {"village_id": world.ids["v1"], "name": "一网格"}  # already exists
    first = await client.post("/api/v1/admin/grids", json=body, headers=headers)
    assert first.status_code == 409
    again = await client.post("/api/v1/admin/grids", json=body, headers=headers)
    assert again.status_code == 409
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["code"] == "grid.name_taken"


async def test_same_key_other_body_is_422(client: httpx.AsyncClient, world: World) -> None:
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "grid-2"}
    await client.post("/api/v1/admin/grids", json=_grid(world, "甲"), headers=headers)
    other = await client.post("/api/v1/admin/grids", json=_grid(world, "乙"), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency.key_reused"
    assert await _grid_count(client, world) == 1


async def test_keys_belong_to_one_user(client: httpx.AsyncClient, world: World) -> None:
    body = {"village_id": world.ids["v1"], "name": "共享键"}
    mine = await client.post(
        "/api/v1/admin/grids", json=body, headers={**world.auth("v1_admin"), "Idempotency-Key": "k"}
    )
    assert mine.status_code == 201
    theirs = await client.post(
        "/api/v1/admin/grids",
        json={**body, "name": "另一个"},
        headers={**world.auth("town_a_admin"), "Idempotency-Key": "k"},
    )
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers


async def test_invalid_keys_are_refused(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/admin/grids",
        json=_grid(world),
        headers={**world.auth("v1_admin"), "Idempotency-Key": "x" * 129},
    )
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency.key_invalid"
    assert await _grid_count(client, world) == 0


async def test_concurrent_retries_create_once(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *[
            client.post("/api/v1/admin/grids", json=_grid(world, "并发"), headers=headers)
            for _ in range(8)
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "idempotency.in_flight"
        else:
            assert r.json()["name"] == "并发"
    async with app.state.sessionmaker() as session:
        grids = (
            await session.exec(select(func.count()).select_from(Grid).where(Grid.name == "并发"))
        ).one()
    assert grids == 1


async def test_a_retry_while_the_first_runs_is_409(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "held"}
    first = await client.post("/api/v1/admin/grids", json=_grid(world), headers=headers)
    assert first.status_code == 201
    # Put the stored claim back to "running", as it is while the first request is in progress.
    async with app.state.sessionmaker() as session:
        await session.execute(update(IdempotencyRecord).values(state="in_flight"))
        await session.commit()
    busy = await client.post("/api/v1/admin/grids", json=_grid(world), headers=headers)
    assert busy.status_code == 409
    assert busy.json()["code"] == "idempotency.in_flight"
    assert await _grid_count(client, world) == 1


async def test_the_answer_is_stored_with_the_write(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """The write and its key are one commit: a key marked done always has its grid."""
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "together"}
    r = await client.post("/api/v1/admin/grids", json=_grid(world, "同提交"), headers=headers)
    assert r.status_code == 201
    async with app.state.sessionmaker() as session:
        record = (await session.exec(select(IdempotencyRecord))).one()
    assert record.state == "done" and record.response_status == 201
    assert record.response_body is not None
    assert json.loads(record.response_body)["id"] == r.json()["id"]


async def test_a_refused_write_is_replayed_and_writes_nothing(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """A refused write (here: the other village) stores its 4xx; nothing was written."""
    headers = {**world.auth("v1_admin"), "Idempotency-Key": "elsewhere"}
    body = {"village_id": world.ids["v2"], "name": "越界"}
    first = await client.post("/api/v1/admin/grids", json=body, headers=headers)
    assert first.status_code in (403, 404)
    again = await client.post("/api/v1/admin/grids", json=body, headers=headers)
    assert again.status_code == first.status_code
    assert again.headers["idempotent-replayed"] == "true"
    assert await _grid_count(client, world) == 0

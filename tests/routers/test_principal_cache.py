"""The principal and `/me` cached between requests: the next request after a grant, a
logout, a move, points posted or a change made by a command beside the server sees it; until
something changes, the database is not asked again. Runs with real Redis on the PostgreSQL
pass and with the in-process stand-in (remembering switched on) on the embedded default."""

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import text
from sqlmodel import col, select

from app.config import Settings
from app.db import create_sessionmaker
from app.main import create_app
from app.models.roster import RoleGrant
from app.services import identity
from tests.helpers.factories import World
from tests.helpers.points import award, make_rule


@pytest.fixture
async def remembering(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(
        settings.model_copy(update={"remember_principals": True}), run_jobs_in_process=False
    )
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client_r(remembering: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=remembering)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def _people(client: httpx.AsyncClient, world: World, who: str) -> int:
    answer = await client.get("/api/v1/admin/people", headers=world.auth(who))
    return answer.status_code


async def test_a_grant_is_seen_at_the_next_request(
    client_r: httpx.AsyncClient, world: World
) -> None:
    assert await _people(client_r, world, "v1_villager") == 403  # now cached as a villager
    granted = await client_r.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": world.ids["v1_villager"],
            "role": "village_admin",
            "scope_type": "village",
            "scope_id": world.ids["v1"],
        },
        headers=world.auth("v1_admin"),
    )
    assert granted.status_code == 201, granted.text
    assert await _people(client_r, world, "v1_villager") == 200


async def test_a_logout_ends_the_remembered_session_at_once(
    client_r: httpx.AsyncClient, world: World
) -> None:
    assert (await client_r.get("/api/v1/me", headers=world.auth("v1_admin"))).status_code == 200
    out = await client_r.post("/api/v1/auth/logout", headers=world.auth("v1_admin"))
    assert out.status_code == 204
    again = await client_r.get("/api/v1/me", headers=world.auth("v1_admin"))
    assert again.status_code == 401
    assert again.json()["code"] == "auth.session_revoked"


async def test_the_database_is_not_asked_again_until_something_changes(
    remembering: FastAPI, client_r: httpx.AsyncClient, world: World
) -> None:
    assert await _people(client_r, world, "v1_admin") == 200
    # Behind the service's back (no commit hook sees it): the cached grant still answers.
    async with remembering.state.engine.begin() as connection:
        await connection.execute(
            text("UPDATE role_grants SET revoked_at = CURRENT_TIMESTAMP WHERE person_id = :p"),
            {"p": world.ids["v1_admin"]},
        )
    assert await _people(client_r, world, "v1_admin") == 200
    # A change through the service layer bumps the version: the next request reads afresh.
    await remembering.state.cache.incr(identity.principal_cache.VERSION_KEY)
    assert await _people(client_r, world, "v1_admin") == 403


async def test_a_change_from_a_command_beside_the_server_is_seen(
    remembering: FastAPI, client_r: httpx.AsyncClient, world: World
) -> None:
    assert await _people(client_r, world, "v1_admin") == 200
    # What `xiangzhi` commands do: their own sessions, told where the version lives.
    command_sessions = create_sessionmaker(remembering.state.engine, remembering.state.cache)
    async with command_sessions() as session, session.begin():
        grant = (
            await session.exec(
                select(RoleGrant).where(col(RoleGrant.person_id) == world.ids["v1_admin"])
            )
        ).one()
        await session.delete(grant)
    assert await _people(client_r, world, "v1_admin") == 403


async def test_a_person_moved_to_another_village_reads_its_feed_at_once(
    client_r: httpx.AsyncClient, world: World
) -> None:
    """The cached principal carries the person's home (town, village, branch): a move made
    in the roster is seen by the next request, here the feed's first page."""
    made = await client_r.post(
        "/api/v1/posts",
        json={"title": "二村通知", "body": "明天停水。", "category": "news"},
        headers=world.auth("v2_admin"),
    )
    assert made.status_code == 201, made.text
    before = await client_r.get("/api/v1/feed", headers=world.auth("v1_villager"))
    assert before.json()["items"] == []
    moved = await client_r.patch(
        f"/api/v1/admin/people/{world.ids['v1_villager']}",
        json={
            "village_id": world.ids["v2"],
            "household_id": world.ids["h2"],
            "grid_id": world.ids["g2"],
        },
        headers=world.auth("town_a_admin"),
    )
    assert moved.status_code == 200, moved.text
    after = await client_r.get("/api/v1/feed", headers=world.auth("v1_villager"))
    assert [p["title"] for p in after.json()["items"]] == ["二村通知"]


async def _household_points(client: httpx.AsyncClient, world: World) -> int:
    answer = await client.get("/api/v1/me", headers=world.auth("v1_villager"))
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balances"]["household_points"])


async def test_me_is_kept_until_its_points_or_roster_change(
    remembering: FastAPI, client_r: httpx.AsyncClient, world: World
) -> None:
    """``/me`` is kept per session: points posted to the household, or a roster edit, show at
    the next request; a change behind the service's back does not (proof it is kept)."""
    await make_rule(client_r, world)
    assert await _household_points(client_r, world) == 0
    assert (await award(client_r, world)).status_code == 201
    assert await _household_points(client_r, world) == 5
    async with remembering.state.engine.begin() as connection:
        await connection.execute(text("UPDATE points_accounts SET balance = 999"))
    assert await _household_points(client_r, world) == 5
    renamed = await client_r.patch(
        f"/api/v1/admin/people/{world.ids['v1_villager']}",
        json={"name": "王改名"},
        headers=world.auth("v1_admin"),
    )
    assert renamed.status_code == 200, renamed.text
    me = (await client_r.get("/api/v1/me", headers=world.auth("v1_villager"))).json()
    assert me["name"] == "王改名"
    assert me["balances"]["household_points"] == 999  # rebuilt from what the database holds

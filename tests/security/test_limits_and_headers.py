"""Issue 27, items 9, 13, 14 and 15: dates out of any sane range, a request that draws too much,
what a cache may keep, and what an export holds."""

import io
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from openpyxl import load_workbook

from app.config import Settings
from app.models.roster import Household
from tests.conftest import make_settings
from tests.helpers.factories import World
from tests.helpers.papers import pdf_pages


async def test_dates_out_of_range_are_422_not_500(client: httpx.AsyncClient, world: World) -> None:
    far = {
        "person_id": world.ids["g1_worker"],
        "date": "9999-12-31",
        "starts_at": "09:00:00",
        "ends_at": "17:00:00",
        "repeat_days": 7,
    }
    shift = await client.post("/api/v1/admin/duty-shifts", json=far, headers=world.auth("v1_admin"))
    assert shift.status_code == 422, shift.text
    assert shift.json()["errors"][0]["field"] == "date"
    proposal = await client.post(
        "/api/v1/admin/proposals",
        json={
            "title": "村东道路硬化",
            "content": "硬化 800 米土路",
            "held_at": "9999-06-01T10:00:00+08:00",
            "present": 5,
        },
        headers=world.auth("v1_admin"),
    )
    assert proposal.status_code == 422, proposal.text
    early = await client.get(
        "/api/v1/admin/duty-shifts",
        params={"date_from": "0001-01-01"},
        headers=world.auth("v1_admin"),
    )
    assert early.status_code == 422, early.text
    event = await client.post(
        "/api/v1/admin/events",
        json={
            "branch_id": world.ids["b1"],
            "kind": "party_day",
            "title": "主题党日",
            "starts_at": "0001-01-01T09:00:00+08:00",
            "ends_at": "0001-01-01T11:00:00+08:00",
        },
        headers=world.auth("b1_admin"),
    )
    assert event.status_code == 422, event.text
    case = await client.post(
        "/api/v1/admin/development/cases",
        json={
            "person_id": world.ids["v1_villager"],
            "branch_id": world.ids["b1"],
            "applied_at": "0001-01-01",
        },
        headers=world.auth("v1_admin"),
    )
    assert case.status_code == 422, case.text
    # Inside the range, the same calls go on to their own rules.
    near = {**far, "date": (datetime.now() + timedelta(days=30)).date().isoformat()}
    fine = await client.post("/api/v1/admin/duty-shifts", json=near, headers=world.auth("v1_admin"))
    assert fine.status_code == 201, fine.text


async def test_door_plates_come_in_batches(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """400 households: the PDF holds 25 sheets at the most, the next batch from page=26."""
    async with app.state.sessionmaker() as session, session.begin():
        session.add_all(
            Household(
                town_id=world.ids["town_a"],
                village_id=world.ids["v1"],
                grid_id=world.ids["g1"],
                head_name=f"户主{i}",
                number=str(1000 + i),
            )
            for i in range(399)
        )
    plates = "/api/v1/admin/door-plates"
    first = await client.get(plates, headers=world.auth("v1_admin"))
    assert first.status_code == 200, first.text
    assert pdf_pages(first.content) == 25
    assert first.headers["cache-control"] == "no-store"
    rest = await client.get(plates, params={"page": 26}, headers=world.auth("v1_admin"))
    assert rest.status_code == 200 and pdf_pages(rest.content) == 25
    last = await client.get(plates, params={"page": 50}, headers=world.auth("v1_admin"))
    assert pdf_pages(last.content) == 1  # 400 households: 50 sheets
    beyond = await client.get(plates, params={"page": 51}, headers=world.auth("v1_admin"))
    assert beyond.status_code == 422 and beyond.json()["code"] == "roster.no_such_page"


async def test_personal_answers_and_exports_are_never_cached(
    client: httpx.AsyncClient, world: World
) -> None:
    for path in ("/api/v1/me", "/api/v1/admin/people", "/api/v1/me/points"):
        r = await client.get(path, headers=world.auth("v1_admin"))
        assert r.headers["cache-control"] == "no-store", path
    exported = await client.get(
        "/api/v1/admin/people", params={"format": "xlsx"}, headers=world.auth("v1_admin")
    )
    template = await client.get("/api/v1/admin/roster/template", headers=world.auth("v1_admin"))
    refused = await client.get("/api/v1/admin/people", headers=world.auth("v1_villager"))
    for r in (exported, template, refused):
        assert r.headers["cache-control"] == "no-store", r.request.url


def test_docs_are_off_in_production_unless_turned_on() -> None:
    """The serving side (nothing at /docs, /redoc, /openapi.json once off) is
    tests/routers/test_headers.py's; here, that production turns them off by itself."""
    base = make_settings().model_dump(exclude={"docs_enabled", "env"})
    production = {
        **base,
        "env": "production",
        "redis_url": "redis://127.0.0.1:6379/0",
        "database_url": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        "jwt_secret": "8f2a6c1e9b7d4f03a5c8e1b2d9f6a4c7e0b3d5f8",
        "qr_secret": "3c9e1a7f5b2d8c4e6a0f9b1d3e5c7a2f4b6d8e0a",
        "ledger_signing_key": "cHJvZHVjdGlvbi1sZWRnZXIta2V5LXRoaXJ0eS10d28=",
        "wechat_appid": "wx0123456789abcdef",
        "wechat_secret": "secret",
        "wechat_mode": "live",
    }
    assert Settings(**production).docs_enabled is False
    assert Settings(**production, docs_enabled=True).docs_enabled is True
    assert Settings(**base).docs_enabled is True  # development: on, as before


async def test_the_people_export_holds_what_the_list_shows(
    client: httpx.AsyncClient, world: World
) -> None:
    async def exported(**params: object) -> set[str]:
        r = await client.get(
            "/api/v1/admin/people",
            params={**params, "format": "xlsx"},
            headers=world.auth("town_a_admin"),
        )
        assert r.status_code == 200, r.text
        sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
        return {str(row[0]) for row in sheet.iter_rows(min_row=3, values_only=True) if row[1]}

    async def listed(**params: object) -> set[str]:
        r = await client.get(
            "/api/v1/admin/people",
            params={**params, "limit": 100},
            headers=world.auth("town_a_admin"),
        )
        return {p["name"] for p in r.json()["items"]}

    for params in (
        {"branch_id": world.ids["b1"]},
        {"household_id": world.ids["h1"]},
        {"grid_id": world.ids["g2"]},
        {"q": "villager"},
        {"village_id": world.ids["v2"], "is_party_member": False},
    ):
        names = await listed(**params)
        assert names, params
        assert await exported(**params) == names, params

"""Volunteer activities: scanning in and out, each refusal, records left open, hand entries,
confirmation posted once, what the volunteer sees, the certificate and the reports."""

import asyncio
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import update
from sqlmodel import col

from app.china_time import to_china, utcnow
from app.jobs import close_finished_volunteering
from app.models.volunteer import VolunteerActivity
from app.services.kit import qr_tokens
from app.services.kit.printing import FONT_CANDIDATES
from tests.conftest import make_settings
from tests.helpers.factories import World
from tests.helpers.papers import read_paper
from tests.helpers.points import make_rule
from tests.helpers.volunteer import activity, hand_entry

VENUE = {"lat": 30.5, "lng": 114.3, "radius_m": 200}


async def token(client: httpx.AsyncClient, world: World, activity_id: int, kind: str) -> str:
    r = await client.get(
        f"/api/v1/activities/{activity_id}/qr",
        params={"kind": kind},
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def scan(
    client: httpx.AsyncClient,
    world: World,
    activity_id: int,
    kind: str,
    who: str = "v1_villager",
    **fields: Any,
) -> httpx.Response:
    body = {"token": await token(client, world, activity_id, kind), **fields}
    return await client.post(
        f"/api/v1/activities/{activity_id}/scans", json=body, headers=world.auth(who)
    )


async def test_sign_in_and_out_with_server_times(client: httpx.AsyncClient, world: World) -> None:
    act = await activity(client, world)
    before = utcnow()
    r = await scan(client, world, act["id"], "sign_in")
    assert r.status_code == 201, r.text  # a sign-in creates the record
    record = r.json()
    assert record["status"] == "signed_in" and record["sign_out_at"] is None
    # The time is the code's window, from the server, never the phone's clock.
    signed_in = datetime.fromisoformat(record["sign_in_at"])
    assert before - timedelta(seconds=make_settings().qr_rotate_seconds) <= signed_in <= utcnow()
    again = await scan(client, world, act["id"], "sign_in")
    assert again.status_code == 409 and again.json()["code"] == "volunteer.already_signed_in"
    out = await scan(client, world, act["id"], "sign_out")
    assert out.status_code == 200 and out.json()["status"] == "pending_confirmation"
    # Signed in half an hour after the start and out at once: 30 min of overlap at most.
    assert out.json()["minutes"] in (0, 30)
    twice = await scan(client, world, act["id"], "sign_out")
    assert twice.status_code == 409 and twice.json()["code"] == "volunteer.already_signed_out"


async def test_each_scan_refusal_has_its_code(client: httpx.AsyncClient, world: World) -> None:
    act = await activity(client, world, venue=VENUE)
    other = await activity(client, world)
    here = {"lat": 30.5, "lng": 114.3}

    async def refused(body: dict[str, Any], activity_id: int = act["id"]) -> tuple[int, str]:
        r = await client.post(
            f"/api/v1/activities/{activity_id}/scans", json=body, headers=world.auth("v1_villager")
        )
        return r.status_code, r.json().get("code", "")

    sign_out = await token(client, world, act["id"], "sign_out")
    assert await refused({"token": sign_out, **here}) == (409, "volunteer.not_signed_in")
    foreign = await token(client, world, other["id"], "sign_in")
    assert await refused({"token": foreign, **here}) == (400, "volunteer.qr_invalid")
    assert await refused({"token": "I1.2.ABCDEFGHIJKLMNOP", **here}) == (
        400,
        "volunteer.qr_invalid",
    )
    settings = make_settings()
    stale, _ = qr_tokens.issue(
        qr_tokens.QrSettings(settings.qr_secret, settings.qr_rotate_seconds),
        qr_tokens.Purpose.sign_in,
        act["id"],
        now=utcnow() - timedelta(minutes=5),
    )
    assert await refused({"token": stale, **here}) == (400, "volunteer.qr_expired")
    sign_in = await token(client, world, act["id"], "sign_in")
    assert await refused({"token": sign_in}) == (400, "volunteer.location_required")
    far = {"lat": 30.52, "lng": 114.3}  # about 2.2 km north
    assert await refused({"token": sign_in, **far}) == (400, "volunteer.out_of_range")
    over = await activity(client, world, starts=timedelta(hours=-5), length=timedelta(hours=1))
    late = await token(client, world, over["id"], "sign_in")
    assert await refused({"token": late}, over["id"]) == (400, "volunteer.closed")
    ok = await refused({"token": sign_in, **here})
    assert ok == (201, "")


async def test_enrolment_and_capacity(client: httpx.AsyncClient, world: World) -> None:
    act = await activity(client, world, enrolment_required=True, capacity=1)
    closed = await scan(client, world, act["id"], "sign_in")
    assert closed.status_code == 403 and closed.json()["code"] == "volunteer.not_enrolled"
    path = f"/api/v1/activities/{act['id']}/enrolments"
    first = await client.post(path, headers=world.auth("v1_villager"))
    assert first.status_code == 201
    repeat = await client.post(path, headers=world.auth("v1_villager"))
    assert repeat.status_code == 200 and repeat.json()["id"] == first.json()["id"]
    full = await client.post(path, headers=world.auth("v2_villager"))
    assert full.status_code == 409 and full.json()["code"] == "volunteer.full"
    assert (await scan(client, world, act["id"], "sign_in")).status_code == 201


async def test_records_left_open_close_themselves_flagged(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    act = await activity(client, world)
    record = (await scan(client, world, act["id"], "sign_in")).json()
    async with app.state.sessionmaker() as s, s.begin():
        await s.execute(
            update(VolunteerActivity)
            .where(col(VolunteerActivity.id) == act["id"])
            .values(ends_at=utcnow() - timedelta(hours=1))
        )
    ctx = {"sessionmaker": app.state.sessionmaker, "cache": app.state.cache}
    assert await close_finished_volunteering(ctx) == 1
    assert await close_finished_volunteering(ctx) == 0
    listed = await client.get(
        f"/api/v1/admin/activities/{act['id']}/records", headers=world.auth("v1_admin")
    )
    [closed] = listed.json()["items"]
    assert closed["id"] == record["id"]
    assert (closed["status"], closed["no_sign_out"], closed["minutes"]) == (
        "pending_confirmation",
        True,
        0,
    )


async def test_hand_entries_are_capped_and_marked(client: httpx.AsyncClient, world: World) -> None:
    act = await activity(client, world, starts=timedelta(hours=-3), length=timedelta(hours=2))
    starts = datetime.fromisoformat(act["starts_at"])
    r = await hand_entry(
        client, world, act["id"], starts - timedelta(hours=1), starts + timedelta(hours=5)
    )
    assert r.status_code == 201, r.text
    entered = r.json()
    assert entered["minutes"] == 120 and entered["entered_by_hand"] is True  # the activity's length
    assert entered["note"] == "忘记签退，组织者补录"
    fixed = await hand_entry(client, world, act["id"], starts, starts + timedelta(minutes=75))
    assert fixed.json()["id"] == entered["id"] and fixed.json()["minutes"] == 60
    outsider = await hand_entry(
        client, world, act["id"], starts, starts + timedelta(hours=1), who="v2_admin"
    )
    assert outsider.status_code == 404
    outside = await hand_entry(
        client, world, act["id"], starts - timedelta(hours=3), starts - timedelta(hours=2)
    )
    assert outside.status_code == 422 and outside.json()["code"] == "volunteer.outside_activity"


async def test_confirmation_posts_once_even_sent_twice_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world, code="vol", title="志愿服务", unit="hour", points=2)
    act = await activity(
        client, world, starts=timedelta(hours=-4), length=timedelta(hours=3), rule_code="vol"
    )
    starts = datetime.fromisoformat(act["starts_at"])
    record = (
        await hand_entry(client, world, act["id"], starts, starts + timedelta(hours=3))
    ).json()
    path = f"/api/v1/admin/activities/{act['id']}/confirm"
    body = {"record_ids": [record["id"]]}
    answers = await asyncio.gather(
        client.post(path, json=body, headers=world.auth("v1_admin")),
        client.post(path, json=body, headers=world.auth("town_a_admin")),
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    mine = await client.get("/api/v1/me/volunteer", headers=world.auth("v1_villager"))
    assert mine.json()["minutes"] == 180
    entries = await client.get(
        "/api/v1/me/points", params={"ledger": "volunteer"}, headers=world.auth("v1_villager")
    )
    assert len(entries.json()["items"]) == 1
    household = await client.get(
        "/api/v1/me/points", params={"ledger": "household"}, headers=world.auth("v1_villager")
    )
    assert household.json()["balance"] == 6  # 3 hours × 2 points, once
    [confirmed] = mine.json()["records"]
    assert confirmed["status"] == "confirmed" and confirmed["entry_id"]
    change = await hand_entry(client, world, act["id"], starts, starts + timedelta(hours=1))
    assert change.status_code == 409 and change.json()["code"] == "volunteer.already_confirmed"


async def test_a_record_still_signed_in_cannot_be_confirmed(
    client: httpx.AsyncClient, world: World
) -> None:
    act = await activity(client, world)
    record = (await scan(client, world, act["id"], "sign_in")).json()
    r = await client.post(
        f"/api/v1/admin/activities/{act['id']}/confirm",
        json={"record_ids": [record["id"]]},
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 409 and r.json()["code"] == "volunteer.not_pending"
    rejected = await client.post(
        f"/api/v1/admin/activities/{act['id']}/reject",
        json={"record_ids": [record["id"]], "note": "未到场"},
        headers=world.auth("v1_admin"),
    )
    assert rejected.json()[0]["status"] == "rejected"


async def test_star_level_and_the_minutes_to_the_next(
    client: httpx.AsyncClient, world: World
) -> None:
    act = await activity(client, world, starts=timedelta(days=-6), length=timedelta(days=5))
    starts = datetime.fromisoformat(act["starts_at"])
    record = (
        await hand_entry(client, world, act["id"], starts, starts + timedelta(hours=100))
    ).json()
    assert record["minutes"] == 6000
    await client.post(
        f"/api/v1/admin/activities/{act['id']}/confirm",
        json={"record_ids": [record["id"]]},
        headers=world.auth("v1_admin"),
    )
    mine = (await client.get("/api/v1/me/volunteer", headers=world.auth("v1_villager"))).json()
    assert (mine["minutes"], mine["star_level"], mine["next_level_minutes"]) == (6000, 1, 12000)
    me = (await client.get("/api/v1/me", headers=world.auth("v1_villager"))).json()
    assert (me["balances"]["volunteer_minutes"], me["balances"]["volunteer_star_level"]) == (
        6000,
        1,
    )


@pytest.mark.skipif(
    not any(Path(p).is_file() for p in FONT_CANDIDATES),
    reason="no CJK font installed (make fonts)",
)
async def test_the_certificate_is_a_png_with_text(client: httpx.AsyncClient, world: World) -> None:
    act = await activity(client, world, starts=timedelta(hours=-4), length=timedelta(hours=3))
    starts = datetime.fromisoformat(act["starts_at"])
    record = (
        await hand_entry(client, world, act["id"], starts, starts + timedelta(hours=2))
    ).json()
    await client.post(
        f"/api/v1/admin/activities/{act['id']}/confirm",
        json={"record_ids": [record["id"]]},
        headers=world.auth("v1_admin"),
    )
    r = await client.get("/api/v1/me/volunteer/certificate", headers=world.auth("v1_villager"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert 10_000 < len(r.content) < 2_000_000
    image = Image.open(io.BytesIO(r.content)).convert("L")
    assert image.size == (1240, 877)
    # The body text's band holds many dark pixels: glyphs were drawn, not tofu boxes or nothing.
    band = image.crop((140, 280, 1100, 600))
    dark = sum(band.histogram()[:128])
    assert dark > 5000
    other = await client.get("/api/v1/me/volunteer/certificate", headers=world.auth("v2_villager"))
    assert other.content != r.content  # another name, another period total
    bad = await client.get(
        "/api/v1/me/volunteer/certificate",
        params={"date_from": "2026-12-01", "date_to": "2026-01-01"},
        headers=world.auth("v1_villager"),
    )
    assert bad.status_code == 422


async def test_reports_on_a_known_month(client: httpx.AsyncClient, world: World) -> None:
    first = await activity(client, world, starts=timedelta(hours=-6), length=timedelta(hours=2))
    second = await activity(client, world, starts=timedelta(hours=-3), length=timedelta(hours=2))
    for act, who, minutes in (
        (first, "v1_villager", 120),
        (first, "g1_worker", 60),
        (second, "v1_villager", 90),
    ):
        starts = datetime.fromisoformat(act["starts_at"])
        record = (
            await hand_entry(
                client, world, act["id"], starts, starts + timedelta(minutes=minutes), person=who
            )
        ).json()
        assert record["minutes"] == minutes
        await client.post(
            f"/api/v1/admin/activities/{act['id']}/confirm",
            json={"record_ids": [record["id"]]},
            headers=world.auth("v1_admin"),
        )
    await scan(client, world, (await activity(client, world))["id"], "sign_in")
    period = to_china(datetime.fromisoformat(first["starts_at"])).strftime("%Y-%m")
    params = {"period": period, "village_id": world.ids["v1"]}
    r = await client.get(
        "/api/v1/admin/volunteer/reports", params=params, headers=world.auth("v1_admin")
    )
    data = r.json()
    assert (data["volunteers"], data["confirmed_minutes"], data["hours"]) == (2, 270, 4.5)
    by_title = [(a["volunteers"], a["confirmed_minutes"], a["pending"]) for a in data["activities"]]
    assert (2, 180, 0) in by_title and (1, 90, 0) in by_title and (0, 0, 1) in by_title
    one = await client.get(
        f"/api/v1/admin/activities/{first['id']}/report", headers=world.auth("v1_admin")
    )
    assert one.json()["confirmed_minutes"] == 180 and one.json()["volunteers"] == 2
    sheet = await client.get(
        "/api/v1/admin/volunteer/reports",
        params={**params, "format": "xlsx"},
        headers=world.auth("v1_admin"),
    )
    month = read_paper(sheet)
    assert month.file_name == f"一村{int(period[:4])}年{int(period[5:])}月志愿服务统计.xlsx"
    assert "确认时长 4.5 小时" in month.lines[0]
    assert sorted(month.column("确认时长（小时）")) == [0, 1.5, 3.0]
    signed = await client.get(
        f"/api/v1/admin/activities/{first['id']}/report",
        params={"format": "xlsx"},
        headers=world.auth("v1_admin"),
    )
    sheet_of_one = read_paper(signed)
    assert sheet_of_one.title == f"{first['title']} 志愿服务签到表"
    assert sorted(sheet_of_one.column("时长（分钟）")) == [60, 120]  # the 180 minutes above
    assert set(sheet_of_one.column("状态")) == {"已确认"}
    elsewhere = await client.get(
        "/api/v1/admin/volunteer/reports", params=params, headers=world.auth("v2_admin")
    )
    assert elsewhere.status_code == 404


async def test_an_activity_without_a_named_organiser_is_the_organisers_own(
    client: httpx.AsyncClient, world: World
) -> None:
    begin = utcnow() + timedelta(days=1)
    body = {
        "title": "全镇义诊志愿服务",
        "starts_at": begin.isoformat(),
        "ends_at": (begin + timedelta(hours=3)).isoformat(),
    }
    town = await client.post(
        "/api/v1/admin/activities", json=body, headers=world.auth("town_a_admin")
    )
    assert town.status_code == 201, town.text
    assert (town.json()["town_id"], town.json()["village_id"]) == (world.ids["town_a"], None)
    village = await client.post(
        "/api/v1/admin/activities", json=body, headers=world.auth("v1_admin")
    )
    assert village.json()["village_id"] == world.ids["v1"]
    anywhere = await client.post(
        "/api/v1/admin/activities", json=body, headers=world.auth("superadmin")
    )
    assert anywhere.status_code == 422 and anywhere.json()["code"] == "volunteer.scope_required"
    elsewhere = await client.post(
        "/api/v1/admin/activities",
        json={**body, "village_id": world.ids["v2"]},
        headers=world.auth("v1_admin"),
    )
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "volunteer.scope"

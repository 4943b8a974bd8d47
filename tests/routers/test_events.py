"""Themed Party days: creating events, the rotating code, every check-in refusal, leave,
attendance with its spreadsheet, compliance, revoking and offline review."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from coordTransform import gcj02_to_wgs84

from app.china_time import to_china, utcnow
from app.services.kit import qr_tokens
from tests.helpers.events import (
    VENUE,
    auth,
    held_event,
    make_event,
    member,
    past_event,
    poster_token,
    token_for,
)
from tests.helpers.factories import Login, World
from tests.helpers.fake_wechat import FAKE_PNG, FakeWechat
from tests.helpers.papers import _view, read_paper
from tests.helpers.points import make_rule

NORTH_50M = 50 / 111_195  # degrees of latitude


async def test_check_in_posts_points_once(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(
        client, world, code="party_day", title="参加主题党日", ledger="member", points=5
    )
    event = await make_event(client, world, rule_code="party_day")
    assert event["checkin_opens_at"] < event["starts_at"] < event["checkin_closes_at"]
    alice = await member(client, world, login, "党员甲")
    token = await token_for(client, world, event["id"])
    first = await client.post(
        f"/api/v1/events/{event['id']}/checkins", json={"token": token}, headers=auth(alice)
    )
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "present" and first.json()["points"] == 5
    again = await client.post(
        f"/api/v1/events/{event['id']}/checkins", json={"token": "x"}, headers=auth(alice)
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    points = (
        await client.get("/api/v1/me/points", params={"ledger": "member"}, headers=auth(alice))
    ).json()
    assert points["balance"] == 5 and points["items"][0]["source_type"] == "checkin"
    mine = (
        await client.get("/api/v1/events", params={"scope": "mine"}, headers=auth(alice))
    ).json()
    assert [e["id"] for e in mine["items"]] == [event["id"]]


async def test_two_phones_at_once_make_one_record(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="party_day", ledger="member", points=5)
    event = await make_event(client, world, rule_code="party_day")
    alice = await member(client, world, login, "党员乙")
    second_phone = {"Authorization": f"Bearer {await login(int(alice['person_id']))}"}
    token = await token_for(client, world, event["id"])
    responses = await asyncio.gather(
        *[
            client.post(
                f"/api/v1/events/{event['id']}/checkins", json={"token": token}, headers=headers
            )
            for headers in (auth(alice), second_phone, auth(alice), second_phone)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    points = (
        await client.get("/api/v1/me/points", params={"ledger": "member"}, headers=auth(alice))
    ).json()
    assert len(points["items"]) == 1 and points["balance"] == 5


async def test_every_refusal_has_its_code(
    client: httpx.AsyncClient, world: World, login: Login, settings: Any
) -> None:
    event = await make_event(client, world, venue=VENUE)
    other = await make_event(client, world)
    alice = await member(client, world, login, "党员丙")
    outsider = await member(client, world, login, "二村党员", branch="b2")
    token = await token_for(client, world, event["id"])
    url = f"/api/v1/events/{event['id']}/checkins"
    here = {"lat": VENUE["lat"] + NORTH_50M, "lng": VENUE["lng"]}
    stale, _ = qr_tokens.issue(
        qr_tokens.QrSettings(settings.qr_secret, settings.qr_rotate_seconds),
        qr_tokens.Purpose.event,
        event["id"],
        now=utcnow() - timedelta(minutes=2),
    )
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    cases = [
        ({"token": forged, **here}, alice, 400, "checkin.qr_invalid"),
        (
            {"token": await token_for(client, world, other["id"]), **here},
            alice,
            400,
            "checkin.qr_invalid",
        ),
        ({"token": "garbage", **here}, alice, 400, "checkin.qr_invalid"),
        ({"token": stale, **here}, alice, 400, "checkin.qr_expired"),
        ({"token": token}, alice, 400, "checkin.location_required"),
        (
            {"token": token, "lat": VENUE["lat"] + 10 * NORTH_50M, "lng": VENUE["lng"]},
            alice,
            400,
            "checkin.out_of_range",
        ),
        ({"token": token, **here}, outsider, 403, "checkin.not_invited"),
    ]
    for body, who, status, code in cases:
        r = await client.post(url, json=body, headers=auth(who))
        assert r.status_code == status, (code, r.text)
        assert r.json()["code"] == code
    closed = await make_event(client, world, starts_in=timedelta(hours=3))
    r = await client.post(
        f"/api/v1/events/{closed['id']}/checkins",
        json={"token": await token_for(client, world, closed["id"])},
        headers=auth(alice),
    )
    assert r.status_code == 400 and r.json()["code"] == "checkin.closed"


async def test_geofence_in_both_coordinate_systems(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    event = await make_event(client, world, venue=VENUE)
    url = f"/api/v1/events/{event['id']}/checkins"
    token = await token_for(client, world, event["id"])
    # The same spot as the phone's WGS-84 reading: hundreds of metres away if taken as GCJ-02.
    wgs_lng, wgs_lat = gcj02_to_wgs84(VENUE["lng"], VENUE["lat"])
    wrong = await member(client, world, login, "坐标甲")
    r = await client.post(
        url, json={"token": token, "lat": wgs_lat, "lng": wgs_lng}, headers=auth(wrong)
    )
    assert r.status_code == 400 and r.json()["code"] == "checkin.out_of_range"
    r = await client.post(
        url,
        json={"token": token, "lat": wgs_lat, "lng": wgs_lng, "coord_type": "wgs84"},
        headers=auth(wrong),
    )
    assert r.status_code == 201 and r.json()["distance_m"] < 5
    # Outside the radius but within the phone's stated accuracy is accepted.
    fuzzy = await member(client, world, login, "坐标乙")
    far = {"token": token, "lat": VENUE["lat"] + 3 * NORTH_50M, "lng": VENUE["lng"]}
    assert (await client.post(url, json=far, headers=auth(fuzzy))).status_code == 400
    r = await client.post(url, json={**far, "accuracy": 60}, headers=auth(fuzzy))
    assert r.status_code == 201


@pytest.mark.parametrize(("started_minutes_ago", "status"), [(9, "present"), (11, "late")])
async def test_late_edge(
    client: httpx.AsyncClient, world: World, login: Login, started_minutes_ago: int, status: str
) -> None:
    event = await make_event(client, world, starts_in=-timedelta(minutes=started_minutes_ago))
    who = await member(client, world, login, f"迟到{started_minutes_ago}")
    r = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": await token_for(client, world, event["id"])},
        headers=auth(who),
    )
    assert r.json()["status"] == status


@pytest.mark.parametrize(
    ("opens", "closes", "expected"),
    [
        (timedelta(seconds=5), timedelta(minutes=30), 400),
        (-timedelta(minutes=30), -timedelta(seconds=5), 400),
        (-timedelta(seconds=5), timedelta(seconds=30), 201),
    ],
)
async def test_window_edges(
    client: httpx.AsyncClient,
    world: World,
    login: Login,
    opens: timedelta,
    closes: timedelta,
    expected: int,
) -> None:
    now = utcnow()
    event = await make_event(
        client,
        world,
        checkin_opens_at=(now + opens).isoformat(),
        checkin_closes_at=(now + closes).isoformat(),
    )
    who = await member(client, world, login, f"窗口{opens.total_seconds()}")
    r = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": await token_for(client, world, event["id"])},
        headers=auth(who),
    )
    assert r.status_code == expected, r.text


async def test_offline_queued_scan_waits_for_review(
    client: httpx.AsyncClient, world: World, login: Login, settings: Any
) -> None:
    await make_rule(client, world, code="party_day", ledger="member", points=5)
    event = await make_event(client, world, starts_in=-timedelta(minutes=20), rule_code="party_day")
    stale, _ = qr_tokens.issue(
        qr_tokens.QrSettings(settings.qr_secret, settings.qr_rotate_seconds),
        qr_tokens.Purpose.event,
        event["id"],
        now=utcnow() - timedelta(minutes=15),
    )
    who = await member(client, world, login, "离线党员")
    r = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": stale, "queued_offline": True},
        headers=auth(who),
    )
    assert r.status_code == 201 and r.json()["status"] == "pending_review"
    assert r.json()["points"] == 0
    review = await client.post(
        f"/api/v1/admin/checkins/{r.json()['id']}/review",
        json={"decision": "accept"},
        headers=world.auth("b1_admin"),
    )
    assert review.json()["status"] == "present" and review.json()["points"] == 5


async def test_revoke_reverses_the_points(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="party_day", ledger="member", points=5)
    event = await make_event(client, world, rule_code="party_day")
    who = await member(client, world, login, "代签党员")
    r = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": await token_for(client, world, event["id"])},
        headers=auth(who),
    )
    revoked = await client.post(
        f"/api/v1/admin/checkins/{r.json()['id']}/revoke",
        json={"reason": "代签"},
        headers=world.auth("b1_admin"),
    )
    assert revoked.json()["status"] == "revoked"
    points = (
        await client.get("/api/v1/me/points", params={"ledger": "member"}, headers=auth(who))
    ).json()
    assert points["balance"] == 0 and [i["points"] for i in points["items"]] == [-5, 5]
    twice = await client.post(
        f"/api/v1/admin/checkins/{r.json()['id']}/revoke",
        json={"reason": "再来"},
        headers=world.auth("b1_admin"),
    )
    assert twice.status_code == 409


async def test_leave_attendance_and_spreadsheet(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    event = await make_event(client, world, starts_in=timedelta(minutes=10))
    came = await member(client, world, login, "到会")
    excused = await member(client, world, login, "请假")
    await member(client, world, login, "缺席")
    leave = await client.post(
        f"/api/v1/events/{event['id']}/leave-requests",
        json={"reason": "外出务工"},
        headers=auth(excused),
    )
    assert leave.status_code == 201
    decided = await client.post(
        f"/api/v1/admin/leave-requests/{leave.json()['id']}/decision",
        json={"decision": "approve"},
        headers=world.auth("b1_admin"),
    )
    assert decided.json()["status"] == "approved"
    assert (
        await client.post(
            f"/api/v1/admin/leave-requests/{leave.json()['id']}/decision",
            json={"decision": "reject"},
            headers=world.auth("b1_admin"),
        )
    ).status_code == 409
    await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": await token_for(client, world, event["id"])},
        headers=auth(came),
    )
    report = (
        await client.get(
            f"/api/v1/admin/events/{event['id']}/attendance", headers=world.auth("b1_admin")
        )
    ).json()
    assert (report["expected"], report["present"], report["excused"], report["absent"]) == (
        3,
        1,
        1,
        1,
    )
    by_name = {row["name"]: row["status"] for row in report["items"]}
    assert by_name == {"到会": "present", "请假": "excused", "缺席": "absent"}
    sheet = await client.get(
        f"/api/v1/admin/events/{event['id']}/attendance",
        params={"format": "xlsx"},
        headers=world.auth("b1_admin"),
    )
    paper = read_paper(sheet)
    assert paper.title == "十一月主题党日 考勤表"
    assert paper.file_name.endswith("十一月主题党日考勤表.xlsx")
    assert "应到 3 人" in paper.lines[1] and "主题党日" in paper.lines[0]
    assert paper.headers == ["序号", "姓名", "党支部", "状态", "签到时间"]
    assert sorted(zip(paper.column("姓名"), paper.column("状态"), strict=True)) == [
        ("到会", "出席"),
        ("缺席", "缺席"),
        ("请假", "请假"),
    ]
    taken = await client.get(
        "/api/v1/admin/audit",
        params={"action": "report.export"},
        headers=world.auth("town_a_admin"),  # a branch's downloads are filed with its town
    )
    [entry] = taken.json()["items"]
    assert entry["after"]["event_id"] == event["id"] and entry["after"]["rows"] == 3
    assert (
        await client.get(
            f"/api/v1/admin/events/{event['id']}/attendance", headers=world.auth("v2_admin")
        )
    ).status_code == 404


async def test_compliance_names_the_missing_kinds(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    for kind in ("party_day", "branch_committee"):
        held = await held_event(client, world, alice, kind=kind)
    # Scheduled and past, but nobody came: not held.
    await past_event(client, world, kind="branch_congress")
    period = held["starts_at"][:7]
    report = await client.get(
        "/api/v1/admin/events/compliance", params={"period": period}, headers=world.auth("b1_admin")
    )
    assert report.status_code == 200, report.text
    [branch] = report.json()["items"]
    assert branch["branch_id"] == world.ids["b1"]
    assert sorted(branch["missing"]) == [
        "branch_congress",
        "group_meeting",
        "member_review",
        "org_life_meeting",
        "party_lecture",
        "training",
    ]
    assert sorted(branch["held"]) == ["branch_committee", "party_day"]
    states = {e["kind"]: e["state"] for e in branch["events"]}
    assert states == {
        "party_day": "held",
        "branch_committee": "held",
        "branch_congress": "scheduled",
    }
    sheet = await client.get(
        "/api/v1/admin/events/compliance",
        params={"period": period, "format": "xlsx"},
        headers=world.auth("b1_admin"),
    )
    paper = read_paper(sheet)
    month = f"{period[:4]}年{int(period[5:])}月"
    assert paper.file_name == f"{month}三会一课落实情况.xlsx"
    assert paper.title == f"{month}“三会一课”落实情况统计表"
    [row] = paper.rows
    assert (
        row[paper.headers.index("未开展")]
        == "党小组会、支部党员大会、党课、党校轮训、组织生活会、民主评议党员"
    )
    assert row[paper.headers.index("全部落实")] == "否"
    detail = _view(paper.book.worksheets[1], paper.file_name, paper.book, signed=True)
    assert sorted(detail.column("状态")) == ["已落实", "已落实", "未举行"]
    bad = await client.get(
        "/api/v1/admin/events/compliance",
        params={"period": "2026-13"},
        headers=world.auth("b1_admin"),
    )
    assert bad.status_code == 422


async def test_branch_admins_run_only_their_own_branch(
    client: httpx.AsyncClient, world: World
) -> None:
    start = utcnow()
    body = {
        "branch_id": world.ids["b2"],
        "kind": "party_day",
        "title": "别的支部",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    r = await client.post("/api/v1/admin/events", json=body, headers=world.auth("b1_admin"))
    assert r.status_code == 404
    event = await make_event(client, world)
    qr = await client.get(f"/api/v1/events/{event['id']}/qr", headers=world.auth("v2_admin"))
    assert qr.status_code == 404


async def test_qr_images(client: httpx.AsyncClient, world: World) -> None:
    event = await make_event(client, world)
    png = await client.get(
        f"/api/v1/events/{event['id']}/qr", params={"format": "png"}, headers=world.auth("b1_admin")
    )
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.headers["cache-control"] == "no-store"
    svg = await client.get(
        f"/api/v1/events/{event['id']}/qr", params={"format": "svg"}, headers=world.auth("b1_admin")
    )
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


async def test_poster_code_needs_the_venue(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    plain = await make_event(client, world)
    placed = await make_event(client, world, venue=VENUE)
    poster = await client.get(
        f"/api/v1/events/{placed['id']}/poster", headers=world.auth("b1_admin")
    )
    assert poster.status_code == 200 and poster.content[:4] == b"\x89PNG"
    who = await member(client, world, login, "海报党员")
    for event, body, status, code in (
        (plain, {}, 400, "checkin.location_required"),
        (placed, {}, 400, "checkin.location_required"),
        (
            placed,
            {"lat": VENUE["lat"] + 10 * NORTH_50M, "lng": VENUE["lng"]},
            400,
            "checkin.out_of_range",
        ),
        (placed, {"lat": VENUE["lat"], "lng": VENUE["lng"]}, 201, None),
    ):
        scene = poster_token(event)
        r = await client.post(
            f"/api/v1/events/{event['id']}/checkins",
            json={"token": scene, **body},
            headers=auth(who),
        )
        assert r.status_code == status, r.text
        if code:
            assert r.json()["code"] == code


async def test_live_poster_comes_from_wechat_once(
    client: httpx.AsyncClient,
    live_client: httpx.AsyncClient,
    fake_wechat: FakeWechat,
    world: World,
) -> None:
    event = await make_event(client, world, venue=VENUE)
    url = f"/api/v1/events/{event['id']}/poster"
    code = {"format": "code"}
    first = await live_client.get(url, params=code, headers=world.auth("b1_admin"))
    assert first.status_code == 200 and first.content == FAKE_PNG, first.text
    # The A4 poster draws the very code WeChat gave, from the cache: still one call.
    poster = await live_client.get(url, headers=world.auth("b1_admin"))
    assert poster.status_code == 200 and poster.content[:4] == b"\x89PNG"
    assert poster.content != FAKE_PNG
    calls = [c for c in fake_wechat.calls if c[0] == "/wxa/getwxacodeunlimit"]
    assert len(calls) == 1
    assert calls[0][1]["scene"] == poster_token(event) and len(calls[0][1]["scene"]) <= 32
    assert calls[0][1]["page"] == "pages/checkin/index"


async def test_member_year_and_branch_month(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    first = await make_event(client, world)
    await make_event(client, world, kind="branch_committee", title="支委会")
    who = await member(client, world, login, "全年党员")
    await client.post(
        f"/api/v1/events/{first['id']}/checkins",
        json={"token": await token_for(client, world, first["id"])},
        headers=auth(who),
    )
    year = to_china(utcnow()).year
    mine = await client.get(
        f"/api/v1/admin/attendance/members/{who['person_id']}",
        params={"year": year},
        headers=world.auth("b1_admin"),
    )
    assert mine.json() == {
        "person_id": int(who["person_id"]),
        "year": year,
        "expected": 2,
        "present": 1,
        "late": 0,
        "excused": 0,
        "absent": 1,
    }
    month = await client.get(
        f"/api/v1/admin/attendance/branches/{world.ids['b1']}",
        params={"period": to_china(utcnow()).strftime("%Y-%m")},
        headers=world.auth("b1_admin"),
    )
    assert month.status_code == 200, month.text
    assert [(e["title"], e["present"], e["absent"]) for e in month.json()["items"]] == [
        ("十一月主题党日", 1, 0),
        ("支委会", 0, 1),
    ]


async def test_event_detail_is_scoped(client: httpx.AsyncClient, world: World) -> None:
    event = await make_event(client, world)
    mine = await client.get(f"/api/v1/admin/events/{event['id']}", headers=world.auth("b1_admin"))
    assert mine.status_code == 200 and mine.json()["agenda"]["items"] == ["讲党课", "志愿服务"]
    theirs = await client.get(f"/api/v1/admin/events/{event['id']}", headers=world.auth("v2_admin"))
    assert theirs.status_code == 404

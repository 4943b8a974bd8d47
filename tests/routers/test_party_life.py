"""Party life as the county inspects it: held means held (somebody came, minutes in time),
minutes with versions and the town's return, changing and cancelling an event, every cadence,
Party groups and people invited by name."""

from datetime import timedelta
from typing import Any

import httpx

from app.china_time import to_china, utcnow
from tests.helpers.events import (
    MINUTES,
    attend_offline,
    auth,
    file_minutes,
    held_event,
    make_event,
    member,
    past_event,
    token_for,
)
from tests.helpers.factories import Login, World
from tests.helpers.media import photo
from tests.helpers.points import make_rule


async def _report(
    client: httpx.AsyncClient, world: World, period: str, who: str = "b1_admin"
) -> dict[str, Any]:
    r = await client.get(
        "/api/v1/admin/events/compliance", params={"period": period}, headers=world.auth(who)
    )
    assert r.status_code == 200, r.text
    [branch] = [i for i in r.json()["items"] if i["branch_id"] == world.ids["b1"]]
    return dict(branch)


def _state(branch: dict[str, Any], event: dict[str, Any]) -> str:
    [found] = [e for e in branch["events"] if e["event_id"] == event["id"]]
    return str(found["state"])


async def test_an_event_nobody_came_to_is_not_held_whatever_its_minutes(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    empty = await past_event(client, world)
    assert (await file_minutes(client, world, empty)).status_code == 201
    branch = await _report(client, world, empty["starts_at"][:7])
    assert _state(branch, empty) == "scheduled"
    assert "party_day" in branch["missing"]


async def test_minutes_on_day_seven_count_and_on_day_eight_do_not(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    on_time = await held_event(client, world, alice, ended_days_ago=7, title="第七天交记录")
    late = await held_event(client, world, alice, ended_days_ago=8, title="第八天交记录")
    branch = await _report(client, world, on_time["starts_at"][:4])
    assert _state(branch, on_time) == "held"
    assert _state(branch, late) == "minutes_missing"
    [due] = [e["minutes_due_on"] for e in branch["events"] if e["event_id"] == on_time["id"]]
    assert due == str(to_china(utcnow()).date())
    # A town that allows ten days counts the eighth day too.
    town = await client.patch(
        f"/api/v1/admin/towns/{world.ids['town_a']}",
        json={"minutes_due_days": 10},
        headers=world.auth("town_a_admin"),
    )
    assert town.status_code == 200 and town.json()["minutes_due_days"] == 10
    branch = await _report(client, world, on_time["starts_at"][:4])
    assert _state(branch, late) == "held"


async def test_minutes_wait_for_the_end_and_only_its_recorders_file_them(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    bob = await member(client, world, login, "记录员乙")
    running = await make_event(client, world, recorder_id=bob["person_id"])
    early = await file_minutes(client, world, running)
    assert early.status_code == 409 and early.json()["code"] == "minutes.too_early"
    ended = await past_event(client, world, recorder_id=bob["person_id"])
    # The member the admin named files them from the phone; another member may not.
    by_bob = await client.post(
        f"/api/v1/admin/events/{ended['id']}/minutes", json=MINUTES, headers=auth(bob)
    )
    assert by_bob.status_code == 201, by_bob.text
    assert by_bob.json()["filed_by"] == bob["person_id"] and by_bob.json()["version"] == 1
    by_alice = await client.post(
        f"/api/v1/admin/events/{ended['id']}/minutes", json=MINUTES, headers=auth(alice)
    )
    assert by_alice.status_code == 404
    stranger = await file_minutes(client, world, ended, who="v2_admin")
    assert stranger.status_code == 404
    wrong_present = await file_minutes(client, world, ended, present_ids=[world.ids["b2"] + 999])
    assert wrong_present.status_code == 422
    assert wrong_present.json()["code"] == "minutes.present_invalid"


async def test_an_amendment_keeps_the_old_version_and_the_audit_has_both(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    event = await held_event(client, world, alice)
    amended = await file_minutes(
        client,
        world,
        event,
        content="补充：会议还讨论了秋收安排。",
        present_ids=[alice["person_id"]],
    )
    assert amended.status_code == 201 and amended.json()["version"] == 2
    read = await client.get(
        f"/api/v1/admin/events/{event['id']}/minutes", headers=world.auth("v1_admin")
    )
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["latest"]["version"] == 2
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["versions"][1]["content"] == MINUTES["content"]
    assert body["latest"]["present_ids"] == [alice["person_id"]]
    trail = await client.get(
        "/api/v1/admin/audit",
        params={"action": "minutes.create"},
        headers=world.auth("town_a_admin"),
    )
    assert trail.status_code == 200
    assert len(trail.json()["items"]) == 2
    # Another village's admin cannot read them at all.
    other = await client.get(
        f"/api/v1/admin/events/{event['id']}/minutes", headers=world.auth("v2_admin")
    )
    assert other.status_code == 404


async def test_the_town_sends_minutes_back_and_the_event_counts_again_once_refiled(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    bob = await member(client, world, login, "记录员乙")
    event = await past_event(client, world, recorder_id=bob["person_id"])
    await attend_offline(client, event, alice)
    assert (await file_minutes(client, world, event)).status_code == 201
    period = event["starts_at"][:7]
    assert _state(await _report(client, world, period), event) == "held"
    village = await client.post(
        f"/api/v1/admin/events/{event['id']}/minutes/return",
        json={"reason": "缺少会议照片"},
        headers=world.auth("v1_admin"),
    )
    assert village.status_code == 403
    back = await client.post(
        f"/api/v1/admin/events/{event['id']}/minutes/return",
        json={"reason": "缺少会议照片"},
        headers=world.auth("town_a_admin"),
    )
    assert back.status_code == 200, back.text
    assert back.json()["return_reason"] == "缺少会议照片"
    assert _state(await _report(client, world, period), event) == "minutes_returned"
    inbox = await client.get("/api/v1/me/notifications", headers=auth(bob))
    [note] = [n for n in inbox.json()["items"] if n["kind"] == "minutes_returned"]
    assert "缺少会议照片" in note["body"]
    review = await client.get(
        "/api/v1/admin/minutes", params={"returned": "true"}, headers=world.auth("town_a_admin")
    )
    assert [m["event_id"] for m in review.json()["items"]] == [event["id"]]
    assert (await file_minutes(client, world, event)).status_code == 201
    assert _state(await _report(client, world, period), event) == "held"
    other_town = await client.post(
        f"/api/v1/admin/events/{event['id']}/minutes/return",
        json={"reason": "看看"},
        headers=world.auth("town_b_admin"),
    )
    assert other_town.status_code == 404


async def test_a_change_before_the_start_moves_the_window_and_tells_the_members(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    event = await make_event(client, world, starts_in=timedelta(days=2))
    later = utcnow() + timedelta(days=3)
    changed = await client.patch(
        f"/api/v1/admin/events/{event['id']}",
        json={
            "starts_at": later.isoformat(),
            "ends_at": (later + timedelta(hours=2)).isoformat(),
            "venue": {"lat": 40.0, "lng": 116.0, "radius_m": 150, "name": "村委会二楼"},
        },
        headers=world.auth("b1_admin"),
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["revision"] == 1 and body["venue_name"] == "村委会二楼"
    assert body["checkin_opens_at"] < body["starts_at"] < body["checkin_closes_at"]
    inbox = await client.get("/api/v1/me/notifications", headers=auth(alice))
    assert [n["kind"] for n in inbox.json()["items"]] == ["event_changed"]
    trail = await client.get(
        "/api/v1/admin/audit", params={"action": "event.update"}, headers=world.auth("v1_admin")
    )
    [entry] = trail.json()["items"]
    assert entry["before"]["starts_at"] != entry["after"]["starts_at"]
    backwards = await client.patch(
        f"/api/v1/admin/events/{event['id']}",
        json={"ends_at": (later - timedelta(hours=1)).isoformat()},
        headers=world.auth("b1_admin"),
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "event.bad_times"
    started = await make_event(client, world, starts_in=-timedelta(minutes=5))
    too_late = await client.patch(
        f"/api/v1/admin/events/{started['id']}",
        json={"title": "改名"},
        headers=world.auth("b1_admin"),
    )
    assert too_late.status_code == 409 and too_late.json()["code"] == "event.started"
    cancel_late = await client.post(
        f"/api/v1/admin/events/{started['id']}/cancel",
        json={"reason": "下雨"},
        headers=world.auth("b1_admin"),
    )
    assert cancel_late.status_code == 409 and cancel_late.json()["code"] == "event.started"


async def test_a_cancelled_event_stops_its_code_refuses_scans_and_returns_early_points(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    bob = await member(client, world, login, "党员乙")
    await make_rule(client, world, code="party_day", title="参加主题党日", ledger="member")
    # The window opens half an hour before the start: Alice is early.
    event = await make_event(client, world, starts_in=timedelta(minutes=20), rule_code="party_day")
    token = await token_for(client, world, event["id"])
    early = await client.post(
        f"/api/v1/events/{event['id']}/checkins", json={"token": token}, headers=auth(alice)
    )
    assert early.status_code == 201 and early.json()["points"] == 5
    cancelled = await client.post(
        f"/api/v1/admin/events/{event['id']}/cancel",
        json={"reason": "暴雨预警，改期举行"},
        headers=world.auth("b1_admin"),
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(
        f"/api/v1/admin/events/{event['id']}/cancel",
        json={"reason": "重复提交"},
        headers=world.auth("b1_admin"),
    )
    assert again.status_code == 200 and again.json()["cancel_reason"] == "暴雨预警，改期举行"
    qr = await client.get(f"/api/v1/events/{event['id']}/qr", headers=world.auth("b1_admin"))
    assert qr.status_code == 409 and qr.json()["code"] == "event.cancelled"
    scan = await client.post(
        f"/api/v1/events/{event['id']}/checkins", json={"token": token}, headers=auth(bob)
    )
    assert scan.status_code == 409 and scan.json()["code"] == "checkin.event_cancelled"
    me = await client.get("/api/v1/me", headers=auth(alice))
    assert me.json()["balances"]["member_points_year"] == 0
    inbox = await client.get("/api/v1/me/notifications", headers=auth(bob))
    [note] = [n for n in inbox.json()["items"] if n["kind"] == "event_cancelled"]
    assert "暴雨预警" in note["body"]
    leave = await client.post(
        f"/api/v1/events/{event['id']}/leave-requests", json={"reason": "外出"}, headers=auth(bob)
    )
    assert leave.status_code == 409
    branch = await _report(client, world, event["starts_at"][:7])
    assert _state(branch, event) == "cancelled"


async def test_quarterly_training_and_yearly_meetings_are_cadences_of_their_own(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    held = await held_event(client, world, alice, kind="org_life_meeting")
    start = to_china(utcnow() - timedelta(days=1, hours=2))
    quarter = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    branch = await _report(client, world, quarter)
    assert "training" in branch["missing"] and "org_life_meeting" in branch["held"]
    assert f"party_day:{start:%Y-%m}" in branch["missing"]
    year = await _report(client, world, str(start.year))
    assert len(year["held"]) + len(year["missing"]) == 3 * 12 + 3 * 4 + 2
    assert f"training:{quarter}" in year["missing"]
    dashboard = await client.get(
        "/api/v1/admin/dashboard",
        params={"period": held["starts_at"][:7]},
        headers=world.auth("b1_admin"),
    )
    cadences = {c["cadence"]: c for c in dashboard.json()["meetings"]["cadences"]}
    assert cadences["year"] == {
        "cadence": "year",
        "period": str(start.year),
        "held": 1,
        "required": 2,
    }
    assert cadences["quarter"]["required"] == 3 and cadences["quarter"]["period"] == quarter
    bad = await client.get(
        "/api/v1/admin/events/compliance",
        params={"period": "2026-Q5"},
        headers=world.auth("b1_admin"),
    )
    assert bad.status_code == 422


async def test_a_group_meeting_expects_its_group_only(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "组长甲")
    bob = await member(client, world, login, "组员乙")
    carol = await member(client, world, login, "别组丙")
    group = await client.post(
        "/api/v1/admin/party-groups",
        json={
            "branch_id": world.ids["b1"],
            "name": "第一党小组",
            "leader_id": alice["person_id"],
            "member_ids": [bob["person_id"]],
        },
        headers=world.auth("b1_admin"),
    )
    assert group.status_code == 201, group.text
    assert group.json()["member_ids"] == sorted([alice["person_id"], bob["person_id"]])
    outsider = await member(client, world, login, "二村党员", branch="b2")
    wrong = await client.post(
        "/api/v1/admin/party-groups",
        json={
            "branch_id": world.ids["b1"],
            "name": "第二党小组",
            "leader_id": outsider["person_id"],
        },
        headers=world.auth("b1_admin"),
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "party_group.not_members"
    twice = await client.post(
        "/api/v1/admin/party-groups",
        json={"branch_id": world.ids["b1"], "name": "第二党小组", "leader_id": bob["person_id"]},
        headers=world.auth("b1_admin"),
    )
    assert twice.status_code == 409 and twice.json()["code"] == "party_group.member_elsewhere"
    no_group = await client.post(
        "/api/v1/admin/events",
        json={
            "branch_id": world.ids["b1"],
            "kind": "group_meeting",
            "title": "党小组会",
            "starts_at": utcnow().isoformat(),
            "ends_at": (utcnow() + timedelta(hours=1)).isoformat(),
        },
        headers=world.auth("b1_admin"),
    )
    assert no_group.status_code == 422 and no_group.json()["code"] == "event.group_required"
    meeting = await make_event(
        client, world, kind="group_meeting", party_group_id=group.json()["id"]
    )
    sheet = await client.get(
        f"/api/v1/admin/events/{meeting['id']}/attendance", headers=world.auth("b1_admin")
    )
    assert {r["person_id"] for r in sheet.json()["items"]} == {
        alice["person_id"],
        bob["person_id"],
    }
    token = await token_for(client, world, meeting["id"])
    refused = await client.post(
        f"/api/v1/events/{meeting['id']}/checkins", json={"token": token}, headers=auth(carol)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "checkin.not_invited"
    came = await client.post(
        f"/api/v1/events/{meeting['id']}/checkins", json={"token": token}, headers=auth(bob)
    )
    assert came.status_code == 201
    listed = await client.get(
        "/api/v1/admin/party-groups",
        params={"branch_id": world.ids["b1"]},
        headers=world.auth("v2_admin"),
    )
    assert listed.json()["items"] == []


async def test_people_invited_by_name_are_expected_but_never_in_a_branch_rate(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    villager = await client.get("/api/v1/me", headers=world.auth("v1_villager"))
    villager_id = villager.json()["person_id"]
    event = await make_event(client, world, kind="training", invitee_ids=[villager_id])
    mine = await client.get("/api/v1/events", headers=world.auth("v1_villager"))
    assert [e["id"] for e in mine.json()["items"]] == [event["id"]]
    token = await token_for(client, world, event["id"])
    came = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": token},
        headers=world.auth("v1_villager"),
    )
    assert came.status_code == 201, came.text
    sheet = await client.get(
        f"/api/v1/admin/events/{event['id']}/attendance", headers=world.auth("b1_admin")
    )
    rows = {r["person_id"]: r for r in sheet.json()["items"]}
    assert rows[villager_id]["is_member"] is False and rows[villager_id]["status"] == "present"
    assert rows[alice["person_id"]]["status"] == "absent"
    foreign = await client.get("/api/v1/me", headers=world.auth("w1_villager"))
    wrong = await client.post(
        "/api/v1/admin/events",
        json={
            "branch_id": world.ids["b1"],
            "kind": "training",
            "title": "两委干部培训",
            "starts_at": utcnow().isoformat(),
            "ends_at": (utcnow() + timedelta(hours=1)).isoformat(),
            "invitee_ids": [foreign.json()["person_id"]],
        },
        headers=world.auth("b1_admin"),
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "event.invitee_invalid"


async def test_the_contest_counts_meetings_as_the_report_does(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    event = await held_event(client, world, alice)
    # Branch two scheduled the same day, but nobody came.
    await past_event(client, world, who="v2_admin", branch_id=world.ids["b2"])
    year = int(event["starts_at"][:4])
    contest = await client.post(
        "/api/v1/admin/contests",
        json={
            "town_id": world.ids["town_a"],
            "year": year,
            "title": "最强党支部",
            "criteria": [
                {
                    "code": "meet",
                    "title": "三会一课",
                    "weight": 100,
                    "source": "computed",
                    "metric": "meeting_compliance",
                }
            ],
        },
        headers=world.auth("town_a_admin"),
    )
    assert contest.status_code == 201, contest.text

    async def values() -> dict[int, float]:
        r = await client.get(
            f"/api/v1/admin/contests/{contest.json()['id']}/ranking",
            headers=world.auth("town_a_admin"),
        )
        return {line["branch_id"]: line["values"]["meet"] for line in r.json()["items"]}

    assert await values() == {world.ids["b1"]: 100.0, world.ids["b2"]: 0.0}
    await client.post(
        f"/api/v1/admin/events/{event['id']}/minutes/return",
        json={"reason": "内容过简"},
        headers=world.auth("town_a_admin"),
    )
    assert await values() == {world.ids["b1"]: 0.0, world.ids["b2"]: 0.0}


async def test_the_minutes_photos_are_the_branchs_not_the_webs(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    """A photo the recorder uploaded had a public address; once it is in the minutes only
    short-lived signed links reach it, handed to the admins above the branch."""
    alice = await member(client, world, login, "党员甲")
    event = await held_event(client, world, alice)
    uploaded = await client.post(
        "/api/v1/media",
        files={"file": ("会场.jpg", photo(seed=7), "image/jpeg")},
        data={"purpose": "grid"},
        headers=world.auth("b1_admin"),
    )
    assert uploaded.status_code == 201, uploaded.text
    shown = uploaded.json()
    assert (await client.get(shown["url"])).status_code == 200
    filed = await file_minutes(client, world, event, media_ids=[shown["id"]])
    assert filed.status_code == 201, filed.text
    for public in (shown["url"], shown["thumb_url"]):
        assert (await client.get(public)).status_code == 404
    seen = await client.get(f"/api/v1/admin/media/{shown['id']}", headers=world.auth("v1_admin"))
    assert seen.status_code == 200, seen.text
    for link in (seen.json()["url"], seen.json()["thumb_url"]):
        assert "sig=" in link
        got = await client.get(link)
        assert got.status_code == 200 and got.headers["cache-control"] == "private, no-store"
        assert (await client.get(link.split("?")[0])).status_code == 404
    other = await client.get(f"/api/v1/admin/media/{shown['id']}", headers=world.auth("v2_admin"))
    assert other.status_code == 404
    again = await file_minutes(client, world, event, media_ids=[shown["id"]])  # an amendment
    assert again.status_code == 201, again.text
    kept = await client.get(f"/api/v1/admin/media/{shown['id']}", headers=world.auth("v1_admin"))
    assert (await client.get(kept.json()["url"])).status_code == 200

"""A member's whole Party life: the file and its Party age, mobile members who took part
elsewhere (and one who did not), transfers between branches and out of the system, the
introduction letter, re-education that ends, and the rota of the mobile members' Party day."""

from datetime import timedelta
from typing import Any

import httpx

from app.china_time import to_china, utcnow
from tests.helpers.events import (
    attend_offline,
    auth,
    make_event,
    member,
    past_event,
)
from tests.helpers.factories import Login, World
from tests.helpers.points import make_rule


async def _status_at(
    client: httpx.AsyncClient, world: World, event: dict[str, Any], person_id: int
) -> str:
    r = await client.get(
        f"/api/v1/admin/events/{event['id']}/attendance", headers=world.auth("b1_admin")
    )
    assert r.status_code == 200, r.text
    [row] = [i for i in r.json()["items"] if i["person_id"] == person_id]
    return str(row["status"])


async def test_the_member_file_dates_party_age_and_who_reads_it(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    path = f"/api/v1/admin/members/{alice['person_id']}/file"
    empty = await client.get(path, headers=world.auth("v1_admin"))
    assert empty.status_code == 200 and empty.json()["party_age_years"] is None
    filled = await client.put(
        path,
        json={
            "applied_at": "1999-03-01",
            "joined_at": "2001-07-01",
            "full_member_at": "2002-07-01",
            "education": "高中",
            "post": "村会计",
        },
        headers=world.auth("b1_admin"),
    )
    assert filled.status_code == 200, filled.text
    body = filled.json()
    today = to_china(utcnow()).date()
    assert body["party_age_years"] == today.year - 2001 - ((today.month, today.day) < (7, 1))
    assert body["post"] == "村会计" and body["from_development"] is False
    assert not {"id_number", "id_card"} & set(body)
    mine = await client.get("/api/v1/me/party-file", headers=auth(alice))
    assert mine.status_code == 200 and mine.json()["joined_at"] == "2001-07-01"
    backwards = await client.put(
        path, json={"joined_at": "2003-01-01"}, headers=world.auth("v1_admin")
    )
    assert backwards.status_code == 422
    assert (await client.get(path, headers=world.auth("v2_admin"))).status_code == 404
    villager = await client.get("/api/v1/me/party-file", headers=world.auth("v1_villager"))
    assert villager.status_code == 404
    trail = await client.get(
        "/api/v1/admin/audit",
        params={"action": "member_file.update"},
        headers=world.auth("v1_admin"),
    )
    assert len(trail.json()["items"]) == 1


async def test_a_mobile_member_who_took_part_elsewhere_is_not_absent(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    worker = await member(client, world, login, "外出务工甲")  # checks in at branch two
    writer = await member(client, world, login, "外出务工乙")  # sends a thought report
    idle = await member(client, world, login, "外出务工丙")  # does neither
    stay = await member(client, world, login, "在家党员丁")
    for who in (worker, writer, idle):
        out = await client.post(
            "/api/v1/admin/mobile-members",
            json={
                "direction": "out",
                "person_id": who["person_id"],
                "place": "天津市滨海新区",
                "employer": "某建筑公司",
                "since": "2026-03-01",
            },
            headers=world.auth("b1_admin"),
        )
        assert out.status_code == 201, out.text
    listed = await client.get(
        "/api/v1/admin/mobile-members",
        params={"direction": "out"},
        headers=world.auth("v1_admin"),
    )
    assert len(listed.json()["items"]) == 3
    home = await past_event(client, world, ended_days_ago=0.05)
    month = home["starts_at"][:7]
    # Branch two's Party day, where it is recorded as living and attending (流入).
    inflow = await client.post(
        "/api/v1/admin/mobile-members",
        json={
            "direction": "in",
            "person_id": worker["person_id"],
            "name": "外出务工甲",
            "home_organisation": "一村党支部",
            "branch_id": world.ids["b2"],
            "since": "2026-03-01",
        },
        headers=world.auth("v2_admin"),
    )
    assert inflow.status_code == 201, inflow.text
    away = await past_event(
        client, world, ended_days_ago=0.05, who="v2_admin", branch_id=world.ids["b2"]
    )
    await attend_offline(client, away, worker)
    report = await client.post(
        "/api/v1/me/thought-reports",
        json={"period": month, "content": "本月在工地参加了党员学习，学习了全会精神。"},
        headers=auth(writer),
    )
    assert report.status_code == 201, report.text
    again = await client.post(
        "/api/v1/me/thought-reports",
        json={"period": month, "content": "本月在工地参加了党员学习，学习了全会精神。"},
        headers=auth(writer),
    )
    assert again.status_code == 200 and again.json()["id"] == report.json()["id"]
    not_mobile = await client.post(
        "/api/v1/me/thought-reports",
        json={"period": month, "content": "我在家，也想交一份思想汇报。"},
        headers=auth(stay),
    )
    assert not_mobile.status_code == 422
    # Before the branch accepts the report it does not count.
    assert await _status_at(client, world, home, writer["person_id"]) == "absent"
    pending = await client.get("/api/v1/admin/thought-reports", headers=world.auth("b1_admin"))
    assert [r["id"] for r in pending.json()["items"]] == [report.json()["id"]]
    stranger = await client.post(
        f"/api/v1/admin/thought-reports/{report.json()['id']}/accept",
        headers=world.auth("v2_admin"),
    )
    assert stranger.status_code == 404
    accepted = await client.post(
        f"/api/v1/admin/thought-reports/{report.json()['id']}/accept",
        headers=world.auth("b1_admin"),
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert await _status_at(client, world, home, worker["person_id"]) == "attended_elsewhere"
    assert await _status_at(client, world, home, writer["person_id"]) == "attended_elsewhere"
    assert await _status_at(client, world, home, idle["person_id"]) == "absent"
    assert await _status_at(client, world, home, stay["person_id"]) == "absent"
    sheet = await client.get(
        f"/api/v1/admin/events/{home['id']}/attendance", headers=world.auth("b1_admin")
    )
    assert sheet.json()["attended_elsewhere"] == 2


async def test_a_transfer_moves_the_branch_and_nothing_else(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=6)
    alice = await member(client, world, login, "党员甲")
    r = await client.post(
        "/api/v1/admin/points/entries",
        json={"rule_code": "study", "account_owner": {"person_id": alice["person_id"]}},
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 201, r.text
    before = (await client.get("/api/v1/me", headers=auth(alice))).json()
    started = await client.post(
        "/api/v1/admin/transfers",
        json={
            "person_id": alice["person_id"],
            "to_branch_id": world.ids["b2"],
            "reason": "嫁入二村",
        },
        headers=world.auth("b1_admin"),
    )
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "pending"
    transfer = started.json()["id"]
    twice = await client.post(
        "/api/v1/admin/transfers",
        json={
            "person_id": alice["person_id"],
            "to_branch_id": world.ids["b2"],
            "reason": "再办一次",
        },
        headers=world.auth("b1_admin"),
    )
    assert twice.status_code == 409 and twice.json()["code"] == "transfer.pending"
    sender = await client.post(
        f"/api/v1/admin/transfers/{transfer}/accept", headers=world.auth("b1_admin")
    )
    assert sender.status_code == 403 and sender.json()["code"] == "transfer.not_receiver"
    elsewhere = await client.get(
        f"/api/v1/admin/transfers/{transfer}", headers=world.auth("town_b_admin")
    )
    assert elsewhere.status_code == 404
    both_sides = {
        who: [
            t["id"]
            for t in (
                await client.get(
                    "/api/v1/admin/transfers", params={"status": "pending"}, headers=world.auth(who)
                )
            ).json()["items"]
        ]
        for who in ("v1_admin", "v2_admin", "town_b_admin")
    }
    assert both_sides == {"v1_admin": [transfer], "v2_admin": [transfer], "town_b_admin": []}
    for side in ("v1_admin", "v2_admin"):
        board = await client.get("/api/v1/admin/dashboard", headers=world.auth(side))
        assert board.json()["queues"]["transfers_pending"] == 1
    letter = await client.get(
        f"/api/v1/admin/transfers/{transfer}/letter", headers=world.auth("b1_admin")
    )
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    accepted = await client.post(
        f"/api/v1/admin/transfers/{transfer}/accept", headers=world.auth("v2_admin")
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    after = (await client.get("/api/v1/me", headers=auth(alice))).json()
    assert after["branch"]["id"] == world.ids["b2"]
    assert after["balances"] == before["balances"]
    assert (after["village"], after["household"]) == (before["village"], before["household"])
    file = await client.get(
        f"/api/v1/admin/members/{alice['person_id']}/file", headers=world.auth("v2_admin")
    )
    history = [s["branch_id"] for s in file.json()["branch_history"]]
    assert history == [world.ids["b1"], world.ids["b2"]]
    again = await client.post(
        f"/api/v1/admin/transfers/{transfer}/decline",
        json={"reason": "已经接收"},
        headers=world.auth("v2_admin"),
    )
    assert again.status_code == 409


async def test_a_declined_transfer_moves_nothing_and_one_out_of_the_system_leaves(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    bob = await member(client, world, login, "党员乙")
    carol = await member(client, world, login, "党员丙")
    started = await client.post(
        "/api/v1/admin/transfers",
        json={"person_id": bob["person_id"], "to_branch_id": world.ids["b2"], "reason": "搬家"},
        headers=world.auth("v1_admin"),
    )
    declined = await client.post(
        f"/api/v1/admin/transfers/{started.json()['id']}/decline",
        json={"reason": "本人未到二村居住"},
        headers=world.auth("v2_admin"),
    )
    assert declined.status_code == 200 and declined.json()["decline_reason"] == "本人未到二村居住"
    me = (await client.get("/api/v1/me", headers=auth(bob))).json()
    assert me["branch"]["id"] == world.ids["b1"]
    out = await client.post(
        "/api/v1/admin/transfers",
        json={
            "person_id": carol["person_id"],
            "to_outside": {
                "organisation": "天津市某区某街道党工委",
                "letter_no": "津组转〔2026〕18号",
            },
            "reason": "到天津定居",
        },
        headers=world.auth("v1_admin"),
    )
    assert out.status_code == 201 and out.json()["status"] == "accepted"
    assert out.json()["letter_no"] == "津组转〔2026〕18号"
    assert (await client.get("/api/v1/me", headers=auth(carol))).json()["branch"] is None
    both = await client.post(
        "/api/v1/admin/transfers",
        json={
            "person_id": bob["person_id"],
            "to_branch_id": world.ids["b2"],
            "to_outside": {"organisation": "某党组织", "letter_no": "1"},
            "reason": "两处都填",
        },
        headers=world.auth("v1_admin"),
    )
    assert both.status_code == 422


async def test_re_education_runs_from_the_list_to_its_conclusion(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    slow = await member(client, world, login, "党员甲")  # no points this year: one star
    year = to_china(utcnow()).year
    enrolled = await client.post(
        "/api/v1/admin/reeducation",
        json={"person_id": slow["person_id"], "year": year, "plan": ["学习党章", "支部书记谈话"]},
        headers=world.auth("b1_admin"),
    )
    assert enrolled.status_code == 201, enrolled.text
    course = enrolled.json()["id"]
    early = await client.post(
        f"/api/v1/admin/reeducation/{course}/close",
        json={"conclusion": "合格"},
        headers=world.auth("b1_admin"),
    )
    assert early.status_code == 409 and early.json()["code"] == "reeducation.items_open"
    for index in (0, 1):
        done = await client.post(
            f"/api/v1/admin/reeducation/{course}/items/{index}/done",
            json={"note": "已完成"},
            headers=world.auth("b1_admin"),
        )
        assert done.status_code == 200, done.text
    missing = await client.post(
        f"/api/v1/admin/reeducation/{course}/items/5/done", json={}, headers=world.auth("b1_admin")
    )
    assert missing.status_code == 404
    closed = await client.post(
        f"/api/v1/admin/reeducation/{course}/close",
        json={"conclusion": "认识到位，表现合格"},
        headers=world.auth("b1_admin"),
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert all(item["done_at"] for item in closed.json()["plan"])
    review = await client.get(
        "/api/v1/admin/stars/members", params={"year": year + 1}, headers=world.auth("v1_admin")
    )
    [line] = [m for m in review.json()["items"] if m["person_id"] == slow["person_id"]]
    assert (line["reeducation_year"], line["reeducation_status"]) == (year, "closed")
    twice = await client.post(
        "/api/v1/admin/reeducation",
        json={"person_id": slow["person_id"], "year": year, "plan": ["再学一次"]},
        headers=world.auth("b1_admin"),
    )
    assert twice.status_code == 409
    other = await client.post(
        f"/api/v1/admin/reeducation/{course}/close",
        json={"conclusion": "看看"},
        headers=world.auth("v2_admin"),
    )
    assert other.status_code == 404


async def test_the_rota_names_who_hosts_the_mobile_members_party_day(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    start = to_china(utcnow() + timedelta(days=2))
    planned = await client.put(
        "/api/v1/admin/mobile-rotation",
        json={
            "year": start.year,
            "mobile_branch_id": world.ids["b1"],
            "hosts": {str(start.month): world.ids["b2"]},
        },
        headers=world.auth("town_a_admin"),
    )
    assert planned.status_code == 200, planned.text
    assert planned.json()["hosts"] == {str(start.month): world.ids["b2"]}
    event = await make_event(client, world, starts_in=timedelta(days=2))
    assert event["host_branch_id"] == world.ids["b2"]
    # The host branch's admin runs the screen's code that month.
    qr = await client.get(f"/api/v1/events/{event['id']}/qr", headers=world.auth("v2_admin"))
    assert qr.status_code == 200
    foreign = await client.put(
        "/api/v1/admin/mobile-rotation",
        json={"year": start.year, "mobile_branch_id": world.ids["b1"], "hosts": {"1": 999999}},
        headers=world.auth("town_a_admin"),
    )
    assert foreign.status_code == 422

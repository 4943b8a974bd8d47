"""Members serving households: pairings in the member's own village, contact logs only for
their own households (points for visits by the town's rule, caps and all), the branch's
report of households not contacted; and the yearly pledge, its progress and assessment."""

import httpx

from app.china_time import to_china, utcnow
from tests.helpers.events import member
from tests.helpers.factories import Login, World
from tests.helpers.points import make_rule


async def _pair(
    client: httpx.AsyncClient, world: World, person_id: int, *homes: int
) -> httpx.Response:
    return await client.post(
        "/api/v1/admin/pairings",
        json={"person_id": person_id, "household_ids": list(homes)},
        headers=world.auth("b1_admin"),
    )


async def _log(
    client: httpx.AsyncClient, headers: dict[str, str], household: int, kind: str = "visit"
) -> httpx.Response:
    return await client.post(
        "/api/v1/contact-logs",
        json={"household_id": household, "kind": kind, "note": "了解冬季取暖情况"},
        headers={"Authorization": headers["Authorization"]},
    )


async def test_members_serve_only_their_own_households(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    serving = await member(client, world, login, "联系党员")
    other = await member(client, world, login, "别的党员")
    second = await client.post(
        "/api/v1/admin/households",
        json={"village_id": world.ids["v1"], "head_name": "张三"},
        headers=world.auth("v1_admin"),
    )
    h1, h1b = world.ids["h1"], second.json()["id"]
    paired = await _pair(client, world, int(serving["person_id"]), h1, h1b)
    assert paired.status_code == 200, paired.text
    assert {h["head_name"] for h in paired.json()["households"]} == {"王一", "张三"}
    elsewhere = await _pair(client, world, int(serving["person_id"]), world.ids["h2"])
    assert elsewhere.status_code == 422
    assert elsewhere.json()["code"] == "contact.household_elsewhere"
    not_a_member = await _pair(client, world, world.ids["v1_villager"], h1)
    assert not_a_member.status_code == 404
    foreign = await client.post(
        "/api/v1/admin/pairings",
        json={"person_id": int(serving["person_id"]), "household_ids": [h1]},
        headers=world.auth("v2_admin"),
    )
    assert foreign.status_code == 404

    # Visits earn member points by the town's rule; its daily cap holds.
    await make_rule(
        client,
        world,
        code="contact_visit",
        title="联系走访",
        ledger="member",
        points=2,
        daily_cap=2,
    )
    first = await _log(client, serving, h1)
    assert first.status_code == 201, first.text
    assert first.json()["entry_id"] is not None
    call = await _log(client, serving, h1b, kind="call")
    assert call.json()["entry_id"] is None  # only visits earn points
    capped = await _log(client, serving, h1b)
    assert capped.status_code == 201
    points = await client.get(
        "/api/v1/me/points",
        params={"ledger": "member"},
        headers={"Authorization": serving["Authorization"]},
    )
    assert points.json()["balance"] == 2  # the second visit's 2 points fell under the cap
    unpaired = await _log(client, other, h1)
    assert unpaired.status_code == 403 and unpaired.json()["code"] == "contact.not_paired"

    # Each side sees the other; the household sees the visits.
    mine = await client.get(
        "/api/v1/me/pairings", headers={"Authorization": serving["Authorization"]}
    )
    assert {p["head_name"] for p in mine.json()["items"]} == {"王一", "张三"}
    household = await client.get("/api/v1/me/pairings", headers=world.auth("v1_villager"))
    [ours] = household.json()["items"]
    assert ours["member_name"] == "联系党员" and ours["last_contact_at"] is not None
    visits = await client.get("/api/v1/me/contact-logs", headers=world.auth("v1_villager"))
    assert [v["kind"] for v in visits.json()["items"]] == ["visit"]

    # A new pairing replaces the old: one member per household.
    moved = await _pair(client, world, int(other["person_id"]), h1b)
    assert moved.status_code == 200
    period = to_china(utcnow()).strftime("%Y-%m")
    report = await client.get(
        "/api/v1/admin/contact/report",
        params={"branch_id": world.ids["b1"], "period": period},
        headers=world.auth("b1_admin"),
    )
    data = report.json()
    assert (data["pairings"], data["visited"]) == (2, 1)
    assert [(n["head_name"], n["member_name"]) for n in data["never_visited"]] == [
        ("张三", "别的党员")
    ]
    hidden = await client.get(
        "/api/v1/admin/contact/report",
        params={"branch_id": world.ids["b1"], "period": period},
        headers=world.auth("v2_admin"),
    )
    assert hidden.status_code == 404


async def test_one_pledge_a_year_kept_in_the_open(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    pledger = await member(client, world, login, "承诺党员")
    own = {"Authorization": pledger["Authorization"]}
    year = to_china(utcnow()).year
    made = await client.post(
        "/api/v1/pledges",
        json={"year": year, "items": ["帮助 3 户困难群众", "参加志愿服务 50 小时"]},
        headers=own,
    )
    assert made.status_code == 201, made.text
    again = await client.post(
        "/api/v1/pledges", json={"year": year, "items": ["再来"]}, headers=own
    )
    assert again.status_code == 409 and again.json()["code"] == "pledge.exists"
    villager = await client.post(
        "/api/v1/pledges",
        json={"year": year, "items": ["不是党员"]},
        headers=world.auth("v1_villager"),
    )
    assert villager.status_code == 422 and villager.json()["code"] == "pledge.not_a_member"
    url = f"/api/v1/pledges/{made.json()['id']}"
    progress = await client.post(
        f"{url}/progress", json={"item_index": 0, "note": "帮王大爷修好屋顶"}, headers=own
    )
    assert progress.status_code == 201 and progress.json()["progress"][0]["item_index"] == 0
    beyond = await client.post(
        f"{url}/progress", json={"item_index": 2, "note": "没有这一项"}, headers=own
    )
    assert beyond.status_code == 422 and beyond.json()["code"] == "pledge.no_such_item"
    not_mine = await client.post(
        f"{url}/progress", json={"item_index": 0, "note": "冒名"}, headers=world.auth("v1_villager")
    )
    assert not_mine.status_code == 404
    assess = f"/api/v1/admin/pledges/{made.json()['id']}/assessment"
    stranger = await client.post(
        assess, json={"grade": "poor", "note": "无权"}, headers=world.auth("v2_admin")
    )
    assert stranger.status_code == 404
    graded = await client.post(
        assess, json={"grade": "excellent", "note": "全部完成"}, headers=world.auth("b1_admin")
    )
    assert graded.status_code == 200 and graded.json()["grade"] == "excellent"
    stars = await client.get(
        "/api/v1/admin/stars/members", params={"year": year}, headers=world.auth("b1_admin")
    )
    beside = {m["name"]: m["pledge_grade"] for m in stars.json()["items"]}
    assert beside["承诺党员"] == "excellent"  # next to the democratic review
    town = await client.get(
        "/api/v1/pledges", params={"year": year}, headers=world.auth("v2_villager")
    )
    [shown] = town.json()["items"]
    assert shown["name"] == "承诺党员" and shown["items"][1] == "参加志愿服务 50 小时"
    other_town = await client.get("/api/v1/pledges", headers=world.auth("w1_villager"))
    assert other_town.json()["items"] == []

"""Branch-led cooperatives with their yearly figures (a correction replaces, audited), and
honours published as commendations on the feed and listed on the village's roll."""

import httpx

from tests.helpers.factories import World


async def test_a_branch_registers_its_cooperative_and_reports_each_year(
    client: httpx.AsyncClient, world: World
) -> None:
    made = await client.post(
        "/api/v1/admin/cooperatives",
        json={
            "branch_id": world.ids["b1"],
            "name": "一村黑猪养殖专业合作社",
            "industry": "黑猪",
            "founded_at": "2024-03-01",
            "leader_person_id": world.ids["b1_admin"],
            "member_person_ids": [world.ids["v1_villager"], world.ids["g1_worker"]],
        },
        headers=world.auth("b1_admin"),
    )
    assert made.status_code == 201, made.text
    coop = made.json()
    assert (coop["leader_name"], coop["members"], coop["reports"]) == ("b1_admin", 2, [])
    outsider = await client.post(
        "/api/v1/admin/cooperatives",
        json={
            "branch_id": world.ids["b1"],
            "name": "外镇合作社",
            "industry": "芦笋",
            "founded_at": "2024-03-01",
            "leader_person_id": world.ids["w1_villager"],
        },
        headers=world.auth("b1_admin"),
    )
    assert outsider.status_code == 422
    assert outsider.json()["code"] == "cooperative.people_elsewhere"
    other_branch = await client.post(
        "/api/v1/admin/cooperatives",
        json={
            "branch_id": world.ids["b2"],
            "name": "别的支部",
            "industry": "光伏",
            "founded_at": "2024-03-01",
            "leader_person_id": world.ids["v2_villager"],
        },
        headers=world.auth("b1_admin"),
    )
    assert other_branch.status_code == 404

    url = f"/api/v1/admin/cooperatives/{coop['id']}/reports"
    figures = {"year": 2026, "income_fen": 1_200_000_00, "households_benefited": 46}
    first = await client.post(
        url, json={**figures, "collective_income_fen": 18_000_00}, headers=world.auth("b1_admin")
    )
    assert first.status_code == 201, first.text
    fixed = await client.post(
        url, json={**figures, "collective_income_fen": 20_000_00}, headers=world.auth("b1_admin")
    )
    assert fixed.status_code == 200
    assert [r["collective_income_fen"] for r in fixed.json()["reports"]] == [20_000_00]
    log = await client.get(
        "/api/v1/admin/audit",
        params={"action": "cooperative.report"},
        headers=world.auth("town_a_admin"),
    )
    corrections = [e for e in log.json()["items"] if e["before"] is not None]
    assert corrections[0]["before"]["collective_income_fen"] == 18_000_00
    stranger = await client.post(
        url, json={**figures, "collective_income_fen": 1}, headers=world.auth("v2_admin")
    )
    assert stranger.status_code == 404
    town = await client.get("/api/v1/cooperatives", headers=world.auth("v2_villager"))
    assert [c["name"] for c in town.json()["items"]] == ["一村黑猪养殖专业合作社"]
    other_town = await client.get("/api/v1/cooperatives", headers=world.auth("w1_villager"))
    assert other_town.json()["items"] == []
    asked = await client.get(
        "/api/v1/cooperatives",
        params={"town_id": world.ids["town_a"]},
        headers=world.auth("w1_villager"),
    )
    assert asked.json()["items"] == []


async def test_honours_go_on_the_feed_and_the_roll(client: httpx.AsyncClient, world: World) -> None:
    family = await client.post(
        "/api/v1/admin/honours",
        json={
            "year": 2026,
            "title": "文明家庭",
            "household_id": world.ids["h1"],
            "citation": "孝老爱亲，邻里和睦。",
        },
        headers=world.auth("v1_admin"),
    )
    assert family.status_code == 201, family.text
    assert family.json()["honoured_name"] == "王一家庭" and family.json()["post_id"]
    person = await client.post(
        "/api/v1/admin/honours",
        json={
            "year": 2025,
            "title": "优秀共产党员",
            "person_id": world.ids["b1_admin"],
            "citation": "带头发展黑猪养殖。",
        },
        headers=world.auth("v1_admin"),
    )
    assert person.status_code == 201
    both = await client.post(
        "/api/v1/admin/honours",
        json={
            "year": 2026,
            "title": "两个都填",
            "person_id": world.ids["b1_admin"],
            "household_id": world.ids["h1"],
            "citation": "不行",
        },
        headers=world.auth("v1_admin"),
    )
    assert both.status_code == 422
    elsewhere = await client.post(
        "/api/v1/admin/honours",
        json={
            "year": 2026,
            "title": "文明家庭",
            "household_id": world.ids["h2"],
            "citation": "别村的",
        },
        headers=world.auth("v1_admin"),
    )
    assert elsewhere.status_code == 404
    feed = await client.get(
        "/api/v1/feed", params={"category": "commendation"}, headers=world.auth("v1_villager")
    )
    titles = [p["title"] for p in feed.json()["items"]]
    assert "2026年度“文明家庭”：王一家庭" in titles
    roll = await client.get("/api/v1/honours", headers=world.auth("v1_villager"))
    assert [(h["year"], h["title"]) for h in roll.json()["items"]] == [
        (2026, "文明家庭"),
        (2025, "优秀共产党员"),
    ]
    this_year = await client.get(
        "/api/v1/honours",
        params={"village_id": world.ids["v1"], "year": 2025},
        headers=world.auth("v2_villager"),
    )
    assert [h["honoured_name"] for h in this_year.json()["items"]] == ["b1_admin"]
    across = await client.get(
        "/api/v1/honours", params={"village_id": world.ids["v1"]}, headers=world.auth("w1_villager")
    )
    assert across.json()["items"] == []

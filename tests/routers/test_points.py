"""Scoring rules, awards and deductions, approvals, history, what villagers see."""

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.helpers.factories import World
from tests.helpers.media import photo
from tests.helpers.points import award, make_rule


async def test_an_award_cannot_show_another_villages_photo(
    client: httpx.AsyncClient, world: World
) -> None:
    """The household sees its entry's photos: a town admin covering both villages still may not
    pin village 2's evidence on a village 1 household."""
    await make_rule(client, world, who="town_a_admin")
    other = await client.post(
        "/api/v1/media",
        files={"file": ("e.jpg", photo(), "image/jpeg")},
        data={"purpose": "evidence"},
        headers=world.auth("v2_admin"),
    )
    leaked = await award(client, world, who="town_a_admin", media_ids=[other.json()["id"]])
    assert leaked.status_code == 422 and leaked.json()["code"] == "points.media_invalid"
    assert "不属于该村" in leaked.json()["detail"]
    own = await client.post(
        "/api/v1/media",
        files={"file": ("e.jpg", photo(), "image/jpeg")},
        data={"purpose": "evidence"},
        headers=world.auth("v1_admin"),
    )
    ok = await award(client, world, who="town_a_admin", media_ids=[own.json()["id"]])
    assert ok.status_code == 201, ok.text


async def test_award_posts_with_balance_and_my_points_show_it(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world)
    evidence = await client.post(
        "/api/v1/media",
        files={"file": ("e.jpg", photo(), "image/jpeg")},
        data={"purpose": "evidence"},
        headers=world.auth("v1_admin"),
    )
    photo_id = evidence.json()["id"]
    missing = await award(client, world, media_ids=[photo_id + 1000])
    assert missing.status_code == 422 and missing.json()["code"] == "points.media_invalid"
    first = await award(client, world, media_ids=[photo_id])
    assert first.status_code == 201, first.text
    entry = first.json()
    assert entry["status"] == "posted" and entry["points"] == 5 and entry["balance_after"] == 5
    assert entry["capped"] is False
    second = await award(client, world)
    assert second.json()["balance_after"] == 10
    mine = await client.get(
        "/api/v1/me/points", params={"ledger": "household"}, headers=world.auth("v1_villager")
    )
    body = mine.json()
    assert body["balance"] == 10 and body["account_id"] == entry["account_id"]
    assert [i["points"] for i in body["items"]] == [5, 5]
    assert body["items"][1]["rule_code"] == "clean"
    assert body["items"][1]["media"] == [
        {"id": photo_id, "url": evidence.json()["url"], "thumb_url": evidence.json()["thumb_url"]}
    ]
    me = (await client.get("/api/v1/me", headers=world.auth("v1_villager"))).json()
    assert me["balances"]["household_points"] == 10
    # Another village's villager has no account and sees nothing of this one.
    other = await client.get("/api/v1/me/points", headers=world.auth("v2_villager"))
    assert other.json() == {
        "account_id": None,
        "ledger": "household",
        "balance": 0,
        "items": [],
        "next_cursor": None,
    }


async def test_village_rule_overrides_the_town_rule(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world, points=5)
    await make_rule(
        client, world, who="v1_admin", points=8, village_id=world.ids["v1"], town_id=None
    )
    in_v1 = await award(client, world, household="h1")
    in_v2 = await award(client, world, who="v2_admin", household="h2")
    assert in_v1.json()["points"] == 8
    assert in_v2.json()["points"] == 5


async def test_changing_a_rule_never_changes_history(
    client: httpx.AsyncClient, world: World
) -> None:
    rule = await make_rule(client, world, points=5)
    old = (await award(client, world)).json()
    patched = await client.patch(
        f"/api/v1/admin/scoring-rules/{rule['id']}",
        json={"points": 9},
        headers=world.auth("town_a_admin"),
    )
    assert patched.status_code == 200 and patched.json()["points"] == 9
    new = (await award(client, world)).json()
    assert new["points"] == 9
    items = (await client.get("/api/v1/me/points", headers=world.auth("v1_villager"))).json()
    assert sorted(i["points"] for i in items["items"]) == [5, 9]
    assert old["points"] == 5


async def test_bad_awards_get_their_own_codes(client: httpx.AsyncClient, world: World) -> None:
    rule = await make_rule(client, world, code="photo", requires_evidence=True)
    await make_rule(client, world, code="score", unit="score", points=2)
    await make_rule(client, world, code="lecture", ledger="member", points=3)
    cases = [
        (await award(client, world, code="nope"), 422, "points.rule_unknown"),
        (await award(client, world, code="photo"), 422, "points.evidence_required"),
        (await award(client, world, code="score", quantity=6), 422, "points.quantity_out_of_range"),
        (await award(client, world, code="lecture"), 422, "points.owner_mismatch"),
        (await award(client, world, household="h2"), 404, "household.not_found"),
        (await award(client, world, household="hw", who="v1_admin"), 404, "household.not_found"),
        (await award(client, world, who="v1_villager"), 403, "auth.forbidden"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
    await client.patch(
        f"/api/v1/admin/scoring-rules/{rule['id']}",
        json={"enabled": False},
        headers=world.auth("town_a_admin"),
    )
    disabled = await award(client, world, code="photo", media_ids=[1])
    assert disabled.status_code == 422 and disabled.json()["code"] == "points.rule_disabled"
    scored = await award(client, world, code="score", quantity=4)
    assert scored.json()["points"] == 8


async def test_caps_clamp_and_mark_capped(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world, points=20, daily_cap=50)
    points = [(await award(client, world)).json() for _ in range(4)]
    assert [p["points"] for p in points] == [20, 20, 10, 0]
    assert [p["capped"] for p in points] == [False, False, True, True]
    assert points[-1]["balance_after"] == 50


async def test_approval_queue(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(
        client, world, code="family", title="最美家庭", points=30, requires_approval=True
    )
    entries = [(await award(client, world, code="family")).json() for _ in range(3)]
    assert all(e["status"] == "pending" and e["balance_after"] is None for e in entries)
    mine = (await client.get("/api/v1/me/points", headers=world.auth("v1_villager"))).json()
    assert mine["balance"] == 0 and [i["status"] for i in mine["items"]] == ["pending"] * 3
    queue = await client.get("/api/v1/admin/points/pending", headers=world.auth("v1_admin"))
    assert [e["id"] for e in queue.json()["items"]] == [e["id"] for e in entries]
    assert (
        await client.get("/api/v1/admin/points/pending", headers=world.auth("v2_admin"))
    ).json()["items"] == []
    ok = await client.post(
        f"/api/v1/admin/points/entries/{entries[0]['id']}/decision",
        json={"decision": "approve"},
        headers=world.auth("v1_admin"),
    )
    assert ok.json()["status"] == "posted" and ok.json()["balance_after"] == 30
    again = await client.post(
        f"/api/v1/admin/points/entries/{entries[0]['id']}/decision",
        json={"decision": "reject"},
        headers=world.auth("v1_admin"),
    )
    assert again.status_code == 409 and again.json()["code"] == "points.not_pending"
    # A batch holding one entry outside the caller's scope changes nothing.
    refused = await client.post(
        "/api/v1/admin/points/decisions",
        json={"entry_ids": [entries[1]["id"], entries[2]["id"]], "decision": "approve"},
        headers=world.auth("v2_admin"),
    )
    assert refused.status_code == 404
    bulk = await client.post(
        "/api/v1/admin/points/decisions",
        json={
            "entry_ids": [entries[1]["id"], entries[2]["id"]],
            "decision": "reject",
            "note": "重复申报",
        },
        headers=world.auth("v1_admin"),
    )
    assert [e["status"] for e in bulk.json()] == ["rejected", "rejected"]
    mine = (await client.get("/api/v1/me/points", headers=world.auth("v1_villager"))).json()
    assert mine["balance"] == 30


async def test_points_moves_are_audited(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world)
    entry = (await award(client, world)).json()
    log = (
        await client.get(
            "/api/v1/admin/audit",
            params={"action": "points.posted"},
            headers=world.auth("v1_admin"),
        )
    ).json()["items"]
    assert [e["target_id"] for e in log] == [str(entry["id"])]
    assert log[0]["after"]["points"] == 5


async def test_verify_detects_a_tampered_entry(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    await make_rule(client, world)
    for _ in range(3):
        entry = (await award(client, world)).json()
    url = f"/api/v1/points/accounts/{entry['account_id']}/verify"
    good = await client.get(url, headers=world.auth("v1_villager"))
    assert good.json()["ok"] is True and good.json()["entries"] == 3
    assert (await client.get(url, headers=world.auth("v2_villager"))).status_code == 404
    async with app.state.engine.begin() as connection:
        await connection.execute(text("UPDATE ledger_entries SET points = 500 WHERE seq = 2"))
    bad = await client.get(url, headers=world.auth("v1_admin"))
    assert bad.json()["ok"] is False


async def test_rule_scopes(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(client, world, code="town_rule")
    await make_rule(
        client, world, who="v1_admin", code="v1_rule", village_id=world.ids["v1"], town_id=None
    )
    await make_rule(
        client, world, who="v2_admin", code="v2_rule", village_id=world.ids["v2"], town_id=None
    )
    body = {
        "code": "sneaky",
        "title": "越权",
        "ledger": "household",
        "points": 1,
        "town_id": world.ids["town_a"],
    }
    refused = await client.post(
        "/api/v1/admin/scoring-rules", json=body, headers=world.auth("v1_admin")
    )
    assert refused.status_code == 403 and refused.json()["code"] == "points.rule_scope"
    other_town = await client.post(
        "/api/v1/admin/scoring-rules",
        json={**body, "town_id": world.ids["town_b"]},
        headers=world.auth("town_a_admin"),
    )
    assert other_town.status_code == 404
    seen = await client.get("/api/v1/admin/scoring-rules", headers=world.auth("v1_admin"))
    assert {r["code"] for r in seen.json()["items"]} == {"town_rule", "v1_rule"}
    rule_id = next(r["id"] for r in seen.json()["items"] if r["code"] == "town_rule")
    change = await client.patch(
        f"/api/v1/admin/scoring-rules/{rule_id}", json={"points": 2}, headers=world.auth("v1_admin")
    )
    assert change.status_code == 404  # a village admin reads the town's rules, never edits them
    duplicate = await client.post(
        "/api/v1/admin/scoring-rules",
        json={**body, "code": "town_rule"},
        headers=world.auth("town_a_admin"),
    )
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "points.rule_code_taken"

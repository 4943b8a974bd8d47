"""Every admin write lands in the audit log with its actor, before/after and request id."""

import httpx

from tests.helpers.factories import World


async def test_admin_writes_are_audited(client: httpx.AsyncClient, world: World) -> None:
    headers = {**world.auth("v1_admin"), "X-Request-ID": "audit-req-0001"}
    made = await client.post(
        "/api/v1/admin/grids",
        json={"village_id": world.ids["v1"], "name": "审计网格"},
        headers=headers,
    )
    assert made.status_code == 201
    changed = await client.patch(
        f"/api/v1/admin/people/{world.ids['v1_villager']}",
        json={"name": "新名字"},
        headers=world.auth("v1_admin"),
    )
    assert changed.status_code == 200
    log = await client.get("/api/v1/admin/audit", headers=world.auth("v1_admin"))
    assert log.status_code == 200
    entries = log.json()["items"]
    assert [e["action"] for e in entries[:2]] == ["person.update", "grid.create"]
    update, create = entries[0], entries[1]
    assert create["after"]["name"] == "审计网格"
    assert create["request_id"] == "audit-req-0001"
    assert create["actor_person_id"] == world.ids["v1_admin"]
    assert update["before"]["name"] == "v1_villager" and update["after"]["name"] == "新名字"


async def test_audit_is_scoped_and_refused_writes_leave_no_entry(
    client: httpx.AsyncClient, world: World
) -> None:
    await client.post(
        "/api/v1/admin/grids",
        json={"village_id": world.ids["v1"], "name": "甲"},
        headers=world.auth("v1_admin"),
    )
    refused = await client.post(
        "/api/v1/admin/grids",
        json={"village_id": world.ids["v1"], "name": "乙"},
        headers=world.auth("v2_admin"),
    )
    assert refused.status_code == 404
    seen_by_v2 = await client.get("/api/v1/admin/audit", headers=world.auth("v2_admin"))
    assert seen_by_v2.json()["items"] == []
    seen_by_town = await client.get("/api/v1/admin/audit", headers=world.auth("town_a_admin"))
    assert [e["after"]["name"] for e in seen_by_town.json()["items"]] == ["甲"]
    assert (
        await client.get("/api/v1/admin/audit", headers=world.auth("g1_worker"))
    ).status_code == 403

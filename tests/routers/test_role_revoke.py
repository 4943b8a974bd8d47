"""Revoking a role: it ends at once for the person's open sessions, it is audited, and an
admin of another village cannot touch (or learn of) the grant."""

import httpx

from tests.helpers.factories import World


async def _roles(client: httpx.AsyncClient, world: World, who: str) -> list[str]:
    me = await client.get("/api/v1/me", headers=world.auth(who))
    assert me.status_code == 200, me.text
    return [r["role"] for r in me.json()["roles"]]


async def test_a_revoked_role_ends_at_once_and_only_its_village_may_revoke_it(
    client: httpx.AsyncClient, world: World
) -> None:
    granted = await client.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": world.ids["v1_villager"],
            "role": "grid_worker",
            "scope_type": "grid",
            "scope_id": world.ids["g1"],
        },
        headers=world.auth("v1_admin"),
    )
    assert granted.status_code == 201, granted.text
    grant_id = granted.json()["id"]
    assert "grid_worker" in await _roles(client, world, "v1_villager")

    path = f"/api/v1/admin/role-grants/{grant_id}/revoke"
    other = await client.post(path, headers=world.auth("v2_admin"))
    assert other.status_code == 404 and other.json()["code"] == "role_grant.not_found"
    assert "grid_worker" in await _roles(client, world, "v1_villager")

    revoked = await client.post(path, headers=world.auth("v1_admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert "grid_worker" not in await _roles(client, world, "v1_villager")
    again = await client.post(path, headers=world.auth("v1_admin"))
    assert again.status_code == 409 and again.json()["code"] == "role_grant.revoked"

    log = await client.get(
        "/api/v1/admin/audit?action=role_grant.revoke", headers=world.auth("v1_admin")
    )
    [entry] = log.json()["items"]
    assert entry["target_id"] == str(grant_id)
    assert entry["before"]["revoked_at"] is None and entry["after"]["revoked_at"]

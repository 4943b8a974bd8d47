"""Writes whose body names rows of another village or town are refused, and store nothing:
the path's row being in scope is not enough."""

from datetime import datetime, timedelta

import httpx

from tests.helpers.factories import World
from tests.helpers.volunteer import activity, hand_entry


async def test_a_person_cannot_be_placed_in_a_branch_beyond_the_admins_village(
    client: httpx.AsyncClient, world: World
) -> None:
    town_branch = await client.post(
        "/api/v1/admin/branches",
        json={"town_id": world.ids["town_a"], "name": "镇机关党支部"},
        headers=world.auth("town_a_admin"),
    )
    assert town_branch.status_code == 201, town_branch.text
    admin = world.auth("v1_admin")

    async def create(branch_id: int, phone: str) -> httpx.Response:
        body = {
            "name": "新党员",
            "phone": phone,
            "village_id": world.ids["v1"],
            "branch_id": branch_id,
            "is_party_member": True,
        }
        return await client.post("/api/v1/admin/people", json=body, headers=admin)

    other_village = await create(world.ids["b2"], "15700000001")
    assert other_village.status_code in (404, 422), other_village.text
    town_level = await create(town_branch.json()["id"], "15700000002")
    assert town_level.status_code == 404, town_level.text
    placed = await create(world.ids["b1"], "15700000003")
    assert placed.status_code == 201, placed.text
    moved = await client.patch(
        f"/api/v1/admin/people/{placed.json()['id']}",
        json={"branch_id": world.ids["b2"]},
        headers=admin,
    )
    assert moved.status_code in (404, 422), moved.text
    kept = await client.get(f"/api/v1/admin/people/{placed.json()['id']}", headers=admin)
    assert kept.json()["branch_id"] == world.ids["b1"]
    listed = await client.get("/api/v1/admin/people", params={"limit": 100}, headers=admin)
    phones = {p["phone"] for p in listed.json()["items"]}
    assert "15700000001" not in phones and "15700000002" not in phones


async def test_hours_are_written_only_for_people_the_organiser_covers(
    client: httpx.AsyncClient, world: World
) -> None:
    act = await activity(client, world, starts=timedelta(hours=-3), length=timedelta(hours=2))
    begin = datetime.fromisoformat(act["starts_at"])
    foreign = await hand_entry(
        client, world, act["id"], begin, begin + timedelta(hours=1), person="v2_villager"
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "person.not_found"
    listed = await client.get(
        f"/api/v1/admin/activities/{act['id']}/records", headers=world.auth("v1_admin")
    )
    assert listed.json()["items"] == []


async def test_a_villager_of_another_town_cannot_enrol(
    client: httpx.AsyncClient, world: World
) -> None:
    act = await activity(client, world, enrolment_required=True)
    path = f"/api/v1/activities/{act['id']}/enrolments"
    stranger = await client.post(path, headers=world.auth("w1_villager"))
    assert stranger.status_code == 404, stranger.text
    neighbour = await client.post(path, headers=world.auth("v1_villager"))
    assert neighbour.status_code == 201

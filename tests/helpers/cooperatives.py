"""A branch-led cooperative with its report for this year, as the contest tests need one."""

import httpx

from app.china_time import to_china, utcnow
from tests.helpers.factories import World


async def income(
    client: httpx.AsyncClient, world: World, branch: str, leader: str, fen: int
) -> None:
    made = await client.post(
        "/api/v1/admin/cooperatives",
        json={
            "branch_id": world.ids[branch],
            "name": f"{branch}合作社",
            "industry": "芦笋",
            "founded_at": "2024-01-01",
            "leader_person_id": world.ids[leader],
        },
        headers=world.auth("town_a_admin"),
    )
    assert made.status_code == 201, made.text
    report = await client.post(
        f"/api/v1/admin/cooperatives/{made.json()['id']}/reports",
        json={
            "year": to_china(utcnow()).year,
            "income_fen": fen * 10,
            "collective_income_fen": fen,
            "households_benefited": 10,
        },
        headers=world.auth("town_a_admin"),
    )
    assert report.status_code == 201, report.text

"""On-site scores through the ledger, reused photos spotted, and the monthly grid report."""

import io
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import update
from sqlmodel import col

from app.china_time import to_china, utcnow
from app.models.grid import GridTask
from tests.helpers.factories import World
from tests.helpers.grid import act, report, upload
from tests.helpers.media import photo
from tests.helpers.papers import read_paper
from tests.helpers.points import make_rule


async def score(
    client: httpx.AsyncClient, world: World, who: str = "g1_worker", **fields: Any
) -> httpx.Response:
    body = {"household_id": world.ids["h1"], "rule_code": "clean", "note": "门前清扫干净", **fields}
    return await client.post("/api/v1/grid/scores", json=body, headers=world.auth(who))


def reencoded(data: bytes) -> bytes:
    """The same photo sent again: scaled down and saved at another quality."""
    image = Image.open(io.BytesIO(data))
    image = image.resize((image.width * 9 // 10, image.height * 9 // 10))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=60)
    return out.getvalue()


async def test_a_score_lands_on_the_household_and_can_be_appealed(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world)
    evidence = await upload(client, world.auth("g1_worker"))
    r = await score(client, world, media_ids=[evidence])
    assert r.status_code == 201, r.text
    entry = r.json()
    assert (entry["points"], entry["status"], entry["source_type"]) == (5, "posted", "score")
    assert entry["household_id"] == world.ids["h1"] and entry["needs_review"] is False
    mine = await client.get(
        "/api/v1/me/points", params={"ledger": "household"}, headers=world.auth("v1_villager")
    )
    [seen] = mine.json()["items"]
    assert seen["id"] == entry["id"] and seen["media"][0]["id"] == evidence
    appeal = await client.post(
        f"/api/v1/points/entries/{entry['id']}/appeals",
        json={"reason": "那天我家不在，扫的是邻居"},
        headers=world.auth("v1_villager"),
    )
    assert appeal.status_code == 201, appeal.text


async def test_score_rules_evidence_and_scope(client: httpx.AsyncClient, world: World) -> None:
    await make_rule(
        client, world, code="work", title="义务出工", points=2, unit="score", requires_evidence=True
    )
    await make_rule(client, world, code="member", title="党员学习", ledger="member", points=3)
    await make_rule(client, world, code="slow", title="需审核", points=4, requires_approval=True)
    bare = await score(client, world, rule_code="work", quantity=3)
    assert bare.status_code == 422 and bare.json()["code"] == "points.evidence_required"
    evidence = await upload(client, world.auth("g1_worker"))
    shown = await score(client, world, rule_code="work", quantity=3, media_ids=[evidence])
    assert shown.status_code == 201 and shown.json()["points"] == 6
    off_scale = await score(
        client,
        world,
        rule_code="work",
        quantity=6,
        media_ids=[await upload(client, world.auth("g1_worker"))],
    )
    assert off_scale.status_code == 422
    member = await score(client, world, rule_code="member")
    assert member.status_code == 422 and member.json()["code"] == "points.owner_mismatch"
    pending = await score(client, world, rule_code="slow")
    assert pending.json()["status"] == "pending"
    elsewhere = await score(client, world, household_id=world.ids["h2"], rule_code="slow")
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "household.not_found"
    villager = await score(client, world, "v1_villager", rule_code="slow")
    assert villager.status_code == 403


async def test_a_reused_photo_holds_the_score_and_names_the_first_record(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world)
    worker = world.auth("g1_worker")
    street = photo(seed=4242)
    first = await score(client, world, media_ids=[await upload(client, worker, street)])
    assert first.json()["needs_review"] is False
    # Next month the same street photo, re-encoded by the phone, comes back.
    copy = await upload(client, worker, reencoded(street))
    second = await score(client, world, media_ids=[copy])
    assert second.status_code == 201, second.text
    body = second.json()
    assert body["needs_review"] is True and body["status"] == "pending"  # not paid until checked
    [match] = body["resembles"]
    assert match["media_id"] == copy and match["record_type"] == "grid_score"
    assert match["distance"] <= 6
    # A grid task with it is flagged too, and says which score it resembles.
    task = (await report(client, world, media_ids=[copy])).json()
    assert task["needs_review"] is True
    assert {m["record_type"] for m in task["resembles"]} == {"grid_score"}
    # A different scene is not.
    fresh = await score(client, world, media_ids=[await upload(client, worker)])
    assert fresh.json()["needs_review"] is False


async def test_the_same_photo_in_another_village_is_not_compared(
    client: httpx.AsyncClient, world: World
) -> None:
    await make_rule(client, world)
    street = photo(seed=777)
    await score(client, world, media_ids=[await upload(client, world.auth("g1_worker"), street)])
    elsewhere = await score(
        client,
        world,
        "v2_admin",
        household_id=world.ids["h2"],
        media_ids=[await upload(client, world.auth("v2_admin"), street)],
    )
    assert elsewhere.status_code == 201 and elsewhere.json()["needs_review"] is False


async def test_the_monthly_report_on_a_known_month(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    await make_rule(client, world)
    now = utcnow()
    made = {}
    for name, category in (
        ("quick", "sanitation"),
        ("slow", "dispute"),
        ("late", "safety_hazard"),
        ("refused", "other"),
    ):
        made[name] = (await report(client, world, category=category)).json()["id"]
    for name in ("quick", "slow"):
        for step in ("accept", "start", "resolve"):
            assert (await act(client, world, made[name], step)).status_code == 200
    await act(client, world, made["refused"], "reject")
    async with app.state.sessionmaker() as s, s.begin():
        for name, hours in (("quick", 2), ("slow", 6)):
            await s.execute(
                update(GridTask)
                .where(col(GridTask.id) == made[name])
                .values(created_at=now, resolved_at=now + timedelta(hours=hours))
            )
        await s.execute(
            update(GridTask)
            .where(col(GridTask.id) == made["late"])
            .values(due_at=now - timedelta(hours=1))
        )
    for _ in range(2):
        await score(client, world)
    await score(client, world, "v1_admin")
    period = to_china(now).strftime("%Y-%m")
    params = {"period": period, "village_id": world.ids["v1"]}
    r = await client.get(
        "/api/v1/admin/grid/reports", params=params, headers=world.auth("v1_admin")
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["tasks"] == 4 and data["resolved"] == 2 and data["overdue"] == 1
    assert data["median_hours_to_resolve"] == 4.0
    counts = {c["key"]: c["count"] for c in data["by_category"]}
    assert counts == {
        "sanitation": 1,
        "safety_hazard": 1,
        "dispute": 1,
        "livelihood": 0,
        "errand": 0,
        "other": 1,
    }
    statuses = {c["key"]: c["count"] for c in data["by_status"]}
    assert (statuses["resolved"], statuses["rejected"], statuses["reported"]) == (2, 1, 1)
    workers = [(w["name"], w["scores"], w["points"]) for w in data["scores_by_worker"]]
    assert workers == [("g1_worker", 2, 10), ("v1_admin", 1, 5)]
    other_village = await client.get(
        "/api/v1/admin/grid/reports", params=params, headers=world.auth("v2_admin")
    )
    assert other_village.status_code == 404
    sheet = await client.get(
        "/api/v1/admin/grid/reports",
        params={**params, "format": "xlsx"},
        headers=world.auth("v1_admin"),
    )
    paper = read_paper(sheet)
    assert paper.book.sheetnames == ["网格任务", "现场打分"]
    assert paper.file_name.startswith("一村") and paper.file_name.endswith("网格治理月报.xlsx")
    assert "任务 4 件" in paper.lines[0]
    scores = paper.sheet_named("现场打分")
    assert scores.rows[0] == [1, "g1_worker", 2, 10]
    empty = await client.get(
        "/api/v1/admin/grid/reports", params={"period": "2020-01"}, headers=world.auth("v1_admin")
    )
    assert empty.json()["tasks"] == 0 and empty.json()["median_hours_to_resolve"] is None

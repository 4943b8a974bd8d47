"""Favouritism flags: each kind raised by exactly the case that should raise it and not by its
near miss (a cadre scoring a neighbour's household), the same cause never twice, a
supervisor of one village seeing none of another's, a village's own admins seeing none at all,
and a flag dismissed with a reason or escalated into an objection the village answers, both
audited, neither moving a point."""

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import col, func, select

from app.china_time import china_today
from app.models.audit import AuditEntry
from app.models.flags import Flag
from app.models.roster import Household, Town, Village
from app.services.warnings import concentration
from tests.helpers.factories import World
from tests.helpers.flags import cast as cast
from tests.helpers.grid import report, upload
from tests.helpers.media import photo
from tests.helpers.points import award, make_rule
from tests.helpers.shop import fund, goods, redeem


async def flags(
    client: httpx.AsyncClient, world: World, who: str = "town_a_admin", **params: Any
) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/admin/flags", params=params, headers=world.auth(who))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def evidence_of(flag: dict[str, Any], kind: str) -> set[int]:
    return {e["id"] for e in flag["evidence"] if e["type"] == kind}


async def test_points_to_ones_own_household_are_flagged_and_to_a_neighbour_not(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(client, world)
    own = await award(client, world, who="cadre_h1", household="h1")
    assert own.status_code == 201, own.text
    neighbour = await award(client, world, who="cadre_h1", household="h1b")
    assert neighbour.status_code == 201
    by_other = await award(client, world, who="v1_admin", household="h1")
    assert by_other.status_code == 201
    [flag] = await flags(client, world)
    assert flag["kind"] == "self_dealing" and flag["status"] == "open"
    assert flag["village_id"] == world.ids["v1"]
    assert evidence_of(flag, "ledger_entry") == {own.json()["id"]}
    assert evidence_of(flag, "household") == {world.ids["h1"]}
    assert evidence_of(flag, "person") == {world.ids["cadre_h1"]}
    assert "cadre_h1" in flag["subject"] and "本户" in flag["subject"]


async def test_points_to_a_person_of_ones_household_are_flagged(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(client, world, code="vol", title="志愿服务", ledger="volunteer", points=2)
    # v1_villager lives in H1, as the cadre does; h1b_villager next door.
    same_house = await award(
        client, world, who="cadre_h1", code="vol", household=None, person="v1_villager"
    )
    other_house = await award(
        client, world, who="cadre_h1", code="vol", household=None, person="h1b_villager"
    )
    assert same_house.status_code == other_house.status_code == 201, same_house.text
    [flag] = await flags(client, world)
    assert flag["kind"] == "self_dealing"
    assert evidence_of(flag, "ledger_entry") == {same_house.json()["id"]}


async def test_a_worker_scoring_their_own_household_is_flagged_and_a_neighbour_not(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(client, world)
    made = {}
    for household in ("h1", "h1b"):
        r = await client.post(
            "/api/v1/grid/scores",
            json={"household_id": world.ids[household], "rule_code": "clean"},
            headers=world.auth("worker_h1"),
        )
        assert r.status_code == 201, r.text
        made[household] = r.json()["id"]
    [flag] = await flags(client, world)
    assert flag["kind"] == "self_dealing" and "现场打分" in flag["subject"]
    assert evidence_of(flag, "ledger_entry") == {made["h1"]}


async def test_approving_what_one_asked_for_is_flagged_once(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(
        client, world, code="family", title="最美家庭", points=30, requires_approval=True
    )
    mine = (await award(client, world, who="cadre_h1", code="family", household="h1b")).json()
    theirs = (await award(client, world, who="v1_admin", code="family", household="h1b")).json()
    for entry in (mine, theirs):
        r = await client.post(
            f"/api/v1/admin/points/entries/{entry['id']}/decision",
            json={"decision": "approve"},
            headers=world.auth("cadre_h1"),
        )
        assert r.status_code == 200, r.text
    [flag] = await flags(client, world)
    assert flag["kind"] == "self_approval"
    assert evidence_of(flag, "ledger_entry") == {mine["id"]}
    # The same entry decided again is refused, and the flag is not raised twice.
    again = await client.post(
        f"/api/v1/admin/points/entries/{mine['id']}/decision",
        json={"decision": "approve"},
        headers=world.auth("cadre_h1"),
    )
    assert again.status_code == 409
    assert len(await flags(client, world)) == 1


async def test_approving_points_for_ones_own_household_is_self_dealing(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(
        client, world, code="family", title="最美家庭", points=30, requires_approval=True
    )
    entry = (await award(client, world, who="v1_admin", code="family", household="h1")).json()
    assert await flags(client, world) == []  # v1_admin does not live in H1
    r = await client.post(
        f"/api/v1/admin/points/entries/{entry['id']}/decision",
        json={"decision": "approve"},
        headers=world.auth("cadre_h1"),
    )
    assert r.status_code == 200, r.text
    [flag] = await flags(client, world)
    assert flag["kind"] == "self_dealing" and "审批" in flag["subject"]


async def test_a_reused_photo_is_flagged_with_both_records_and_a_new_one_not(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(client, world)
    scene = photo(seed=9001)
    first = await report(
        client, world, media_ids=[await upload(client, world.auth("g1_worker"), scene)]
    )
    assert first.status_code == 201, first.text
    again = await upload(client, world.auth("g1_worker"), scene)
    reused = await client.post(
        "/api/v1/grid/scores",
        json={"household_id": world.ids["h1b"], "rule_code": "clean", "media_ids": [again]},
        headers=world.auth("g1_worker"),
    )
    fresh = await client.post(
        "/api/v1/grid/scores",
        json={
            "household_id": world.ids["h1b"],
            "rule_code": "clean",
            "media_ids": [await upload(client, world.auth("g1_worker"))],
        },
        headers=world.auth("g1_worker"),
    )
    assert reused.status_code == fresh.status_code == 201, reused.text
    [flag] = await flags(client, world)
    assert flag["kind"] == "photo_reuse"
    assert evidence_of(flag, "grid_task") == {first.json()["id"]}
    assert again in evidence_of(flag, "media")
    assert len(evidence_of(flag, "grid_score")) == 1


async def test_a_keeper_fulfilling_their_own_households_redemption_is_flagged(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await fund(client, world, "h1", 100)
    await fund(client, world, "h1b", 100)
    item = await goods(client, world)
    own = (await redeem(client, world.auth("v1_villager"), item["id"])).json()
    other = (await redeem(client, world.auth("h1b_villager"), item["id"])).json()
    for code in (own["code"], other["code"]):
        r = await client.post(
            "/api/v1/shop/redemptions/fulfil",
            json={"code": code},
            headers=world.auth("keeper_h1"),
        )
        assert r.status_code == 200, r.text
    [flag] = await flags(client, world)
    assert flag["kind"] == "shop_self_fulfil"
    assert evidence_of(flag, "shop_redemption") == {own["id"]}


async def test_supervisors_see_their_village_only_and_village_admins_none(
    client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(client, world)
    await award(client, world, who="cadre_h1", household="h1")
    assert len(await flags(client, world, "v1_supervisor")) == 1
    assert await flags(client, world, "v2_supervisor") == []
    assert await flags(client, world, "w1_supervisor") == []
    assert await flags(client, world, "town_b_admin") == []
    assert await flags(client, world, "v1_supervisor", status="dismissed") == []
    for who in ("v1_admin", "b1_admin", "v1_villager"):
        r = await client.get("/api/v1/admin/flags", headers=world.auth(who))
        assert r.status_code == 403 and r.json()["code"] == "flag.forbidden", who


async def test_a_flag_is_dismissed_with_a_reason_or_escalated_and_answered(
    app: FastAPI, client: httpx.AsyncClient, cast: World
) -> None:
    world = cast
    await make_rule(client, world)
    await award(client, world, who="cadre_h1", household="h1")
    await award(client, world, who="cadre_h1", household="h1", note="第二次")
    first, second = sorted(await flags(client, world), key=lambda f: f["id"])
    balance = await client.get(
        "/api/v1/me/points", params={"ledger": "household"}, headers=world.auth("v1_villager")
    )
    other = await client.post(
        f"/api/v1/admin/flags/{first['id']}/dismiss",
        json={"reason": "核实过，是全村统一的清扫奖励"},
        headers=world.auth("v2_supervisor"),
    )
    assert other.status_code == 404 and other.json()["code"] == "flag.not_found"
    no_reason = await client.post(
        f"/api/v1/admin/flags/{first['id']}/dismiss",
        json={"reason": ""},
        headers=world.auth("v1_supervisor"),
    )
    assert no_reason.status_code == 422
    dismissed = await client.post(
        f"/api/v1/admin/flags/{first['id']}/dismiss",
        json={"reason": "核实过，是全村统一的清扫奖励"},
        headers=world.auth("v1_supervisor"),
    )
    assert dismissed.status_code == 200, dismissed.text
    assert dismissed.json()["status"] == "dismissed"
    twice = await client.post(
        f"/api/v1/admin/flags/{first['id']}/escalate", headers=world.auth("v1_supervisor")
    )
    assert twice.status_code == 409 and twice.json()["code"] == "flag.already_decided"
    objection = await client.post(
        f"/api/v1/admin/flags/{second['id']}/escalate",
        json={"note": "请村委会说明"},
        headers=world.auth("v1_supervisor"),
    )
    assert objection.status_code == 201, objection.text
    made = objection.json()
    assert made["flag_id"] == second["id"] and made["proposal_id"] is None
    assert "请村委会说明" in made["reason"]
    waiting = await client.get("/api/v1/admin/objections", headers=world.auth("v1_admin"))
    assert [o["id"] for o in waiting.json()["items"]] == [made["id"]]
    answered = await client.post(
        f"/api/v1/admin/objections/{made['id']}/answer",
        json={"answer": "已退回多记的分"},
        headers=world.auth("v1_admin"),
    )
    assert answered.status_code == 200, answered.text
    shown = {f["id"]: f for f in await flags(client, world, "v1_supervisor")}
    assert shown[second["id"]]["status"] == "escalated"
    assert shown[second["id"]]["objection_id"] == made["id"]
    after = await client.get(
        "/api/v1/me/points", params={"ledger": "household"}, headers=world.auth("v1_villager")
    )
    assert after.json()["balance"] == balance.json()["balance"]
    async with app.state.sessionmaker() as session:
        actions = (
            await session.exec(
                select(AuditEntry.action).where(col(AuditEntry.target_type) == "flag")
            )
        ).all()
    assert sorted(actions) == ["flag.dismiss", "flag.escalate"]


async def _households(app: FastAPI, world: World, village: str, count: int) -> list[int]:
    async with app.state.sessionmaker() as s, s.begin():
        made = [
            Household(
                town_id=world.ids["town_a"], village_id=world.ids[village], head_name=f"户{i}"
            )
            for i in range(count)
        ]
        s.add_all(made)
        await s.flush()
        return [h.id or 0 for h in made]


async def test_concentration_against_the_towns_median_at_its_edge(
    app: FastAPI, client: httpx.AsyncClient, cast: World
) -> None:
    """V1: 20 households, the top one (5 %) holding 35 of 100 points; V2 and V3: 5 points to
    each of 20. The median share is 5 %, so V1 sits exactly 0.30 above it: not flagged. One
    more point to its top household and it is."""
    world = cast
    await make_rule(client, world, code="gift", title="积分", points=1, unit="hour")
    async with app.state.sessionmaker() as s, s.begin():
        v3 = Village(town_id=world.ids["town_a"], name="三村")
        s.add(v3)
        await s.flush()
        world.ids["v3"] = v3.id or 0
    # V1 already has H1 and H1B: 18 more make 20.
    v1 = [world.ids["h1"], world.ids["h1b"], *await _households(app, world, "v1", 18)]
    v2 = [world.ids["h2"], *await _households(app, world, "v2", 19)]
    v3_homes = await _households(app, world, "v3", 20)

    async def give(household_id: int, points: int) -> None:
        while points:
            step = min(points, 24)
            r = await client.post(
                "/api/v1/admin/points/entries",
                json={
                    "rule_code": "gift",
                    "account_owner": {"household_id": household_id},
                    "quantity": step,
                },
                headers=world.auth("town_a_admin"),
            )
            assert r.status_code == 201, r.text
            points -= step

    await give(v1[0], 35)
    for h in v1[1:14]:
        await give(h, 5)
    for h in [*v2, *v3_homes]:
        await give(h, 5)
    period = china_today().strftime("%Y-%m")
    async with app.state.sessionmaker() as s:
        town = await s.get(Town, world.ids["town_a"])
        assert town is not None
        shares = {
            v.village_id: v.share for v in await concentration.shares(s, town.id or 0, period)
        }
        assert shares == {world.ids["v1"]: 0.35, world.ids["v2"]: 0.05, world.ids["v3"]: 0.05}
        assert await concentration.scan(s, town, period) == 0
    await give(v1[0], 1)
    next_month = (china_today().replace(day=28) + timedelta(days=5)).replace(day=1)
    async with app.state.sessionmaker() as s, s.begin():
        assert await concentration.scan_last_month(s, today=next_month) == 1
    async with app.state.sessionmaker() as s, s.begin():
        # The month is looked at once, however often the job runs.
        assert await concentration.scan_last_month(s, today=next_month) == 0
        count = (await s.exec(select(func.count()).select_from(Flag))).one()
    assert count == 1
    [flag] = await flags(client, world, "v1_supervisor")
    assert flag["kind"] == "concentration" and flag["village_id"] == world.ids["v1"]
    assert evidence_of(flag, "household") == {v1[0]}
    assert len(evidence_of(flag, "ledger_entry")) == 3  # 24 + 11 + 1 points
    assert "36%" in flag["subject"] and "5%" in flag["subject"]
    assert await flags(client, world, "v2_supervisor") == []

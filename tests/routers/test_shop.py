"""The points shop: races for the last item and for a balance, refunds, the counter, limits and
the monthly report. The races run on PostgreSQL in CI as well as on SQLite."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app.china_time import to_china, utcnow
from app.jobs import expire_reservations
from app.models.audit import AuditEntry
from app.models.roster import Household, Person, Role, RoleGrant, ScopeType
from app.models.shop import ShopRedemption
from tests.helpers.factories import Login, World
from tests.helpers.papers import read_paper
from tests.helpers.shop import balance, fund, goods, redeem, stock


@pytest.fixture
async def shop(app: FastAPI, world: World, login: Login) -> dict[str, dict[str, str]]:
    """Shop keepers of V1 and V2, and a second household in V1 with its own villager."""
    tokens: dict[str, dict[str, str]] = {}
    async with app.state.sessionmaker() as s, s.begin():
        neighbour = Household(
            town_id=world.ids["town_a"],
            village_id=world.ids["v1"],
            grid_id=world.ids["g1"],
            head_name="张三",
        )
        s.add(neighbour)
        await s.flush()
        world.ids["h1b"] = neighbour.id or 0
        people = {
            "v1_keeper": {"village_id": world.ids["v1"]},
            "v2_keeper": {"village_id": world.ids["v2"]},
            "h1b_villager": {"village_id": world.ids["v1"], "household_id": neighbour.id},
        }
        for i, (name, place) in enumerate(people.items()):
            person = Person(name=name, phone=f"1360000000{i}", town_id=world.ids["town_a"], **place)
            s.add(person)
            await s.flush()
            world.ids[name] = person.id or 0
            if name.endswith("keeper"):
                s.add(
                    RoleGrant(
                        person_id=person.id or 0,
                        role=Role.shop_keeper.value,
                        scope_type=ScopeType.village.value,
                        scope_id=place["village_id"],
                        town_id=world.ids["town_a"],
                        village_id=place["village_id"],
                    )
                )
    for name in ("v1_keeper", "v2_keeper", "h1b_villager"):
        tokens[name] = {"Authorization": f"Bearer {await login(world.ids[name])}"}
    return tokens


async def test_redeem_takes_points_and_stock_at_once(
    client: httpx.AsyncClient, world: World, shop: dict[str, dict[str, str]]
) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world)
    villager = world.auth("v1_villager")
    shown = await client.get("/api/v1/shop/goods", headers=villager)
    assert [g["id"] for g in shown.json()["items"]] == [item["id"]]
    assert (await client.get("/api/v1/shop/goods", headers=world.auth("v2_villager"))).json()[
        "items"
    ] == []
    r = await redeem(client, villager, item["id"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "reserved" and body["points"] == 30 and len(body["code"]) == 8
    assert await balance(client, villager) == 70 and await stock(client, world, item["id"]) == 4
    qr = await client.get(f"/api/v1/shop/redemptions/{body['id']}/qr", headers=villager)
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    dear = await goods(client, world, points=1000)
    poor = await redeem(client, villager, dear["id"])
    assert poor.status_code == 409 and poor.json()["code"] == "shop.insufficient_points"
    assert await stock(client, world, dear["id"]) == 5  # the stock taken was given back
    many = await redeem(client, villager, item["id"], quantity=5)
    assert many.status_code == 409 and many.json()["code"] == "shop.out_of_stock"
    assert await balance(client, villager) == 70
    elsewhere = await redeem(client, world.auth("v2_villager"), item["id"])
    assert elsewhere.status_code == 404


async def test_two_households_race_for_the_last_item(
    client: httpx.AsyncClient, world: World, shop: dict[str, dict[str, str]]
) -> None:
    await fund(client, world, "h1", 50)
    await fund(client, world, "h1b", 50)
    item = await goods(client, world, stock=1)
    answers = await asyncio.gather(
        redeem(client, world.auth("v1_villager"), item["id"]),
        redeem(client, shop["h1b_villager"], item["id"]),
    )
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    [lost] = [a for a in answers if a.status_code == 409]
    assert lost.json()["code"] == "shop.out_of_stock"
    assert await stock(client, world, item["id"]) == 0
    balances = sorted(
        [
            await balance(client, world.auth("v1_villager")),
            await balance(client, shop["h1b_villager"]),
        ]
    )
    assert balances == [20, 50]  # only the winner paid


async def test_racing_redemptions_cannot_overspend_a_balance(
    client: httpx.AsyncClient, world: World
) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world, points=40, stock=10)
    villager = world.auth("v1_villager")
    answers = await asyncio.gather(*[redeem(client, villager, item["id"]) for _ in range(5)])
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 201, 409, 409, 409], [a.text for a in answers]
    assert all(
        a.json()["code"] == "shop.insufficient_points" for a in answers if a.status_code == 409
    )
    assert await balance(client, villager) == 20 and await stock(client, world, item["id"]) == 8
    account = (
        await client.get("/api/v1/me/points", params={"ledger": "household"}, headers=villager)
    ).json()
    verified = await client.get(
        f"/api/v1/points/accounts/{account['account_id']}/verify", headers=world.auth("v1_admin")
    )
    assert verified.json()["ok"] is True


async def test_a_retried_redemption_redeems_once(client: httpx.AsyncClient, world: World) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world)
    villager = world.auth("v1_villager")
    key = {"Idempotency-Key": "redeem-7f3a9c"}
    answers = await asyncio.gather(*[redeem(client, villager, item["id"], **key) for _ in range(3)])
    ok = [a for a in answers if a.status_code == 201]
    assert ok and {a.json()["id"] for a in ok} == {ok[0].json()["id"]}
    assert all(a.status_code in (201, 409) for a in answers)
    again = await redeem(client, villager, item["id"], **key)
    assert again.json()["id"] == ok[0].json()["id"]
    assert await balance(client, villager) == 70 and await stock(client, world, item["id"]) == 4


async def test_cancel_and_expiry_give_points_and_stock_back(
    client: httpx.AsyncClient, world: World, app: FastAPI, shop: dict[str, dict[str, str]]
) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world)
    villager = world.auth("v1_villager")
    first = (await redeem(client, villager, item["id"])).json()
    stranger = await client.post(
        f"/api/v1/shop/redemptions/{first['id']}/cancel", headers=shop["h1b_villager"]
    )
    assert stranger.status_code == 404
    cancelled = await client.post(
        f"/api/v1/shop/redemptions/{first['id']}/cancel", headers=villager
    )
    assert cancelled.json()["status"] == "cancelled"
    assert await balance(client, villager) == 100 and await stock(client, world, item["id"]) == 5
    twice = await client.post(f"/api/v1/shop/redemptions/{first['id']}/cancel", headers=villager)
    assert twice.status_code == 409 and twice.json()["code"] == "shop.cancelled"

    second = (await redeem(client, villager, item["id"], quantity=2)).json()
    async with app.state.sessionmaker() as s, s.begin():
        await s.execute(
            update(ShopRedemption)
            .where(col(ShopRedemption.id) == second["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    # At the counter before the job has run: refused, not handed over.
    late = await client.post(
        "/api/v1/shop/redemptions/fulfil", json={"code": second["code"]}, headers=shop["v1_keeper"]
    )
    assert late.status_code == 409 and late.json()["code"] == "shop.expired"
    ctx = {"sessionmaker": app.state.sessionmaker, "cache": app.state.cache}
    assert await expire_reservations(ctx) == 1
    assert await expire_reservations(ctx) == 0
    assert await balance(client, villager) == 100 and await stock(client, world, item["id"]) == 5
    mine = await client.get("/api/v1/me/redemptions", headers=villager)
    assert [r["status"] for r in mine.json()["items"]] == ["expired", "cancelled"]


async def test_fulfilment_at_the_counter_exactly_once(
    client: httpx.AsyncClient, world: World, app: FastAPI, shop: dict[str, dict[str, str]]
) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world)
    code = (await redeem(client, world.auth("v1_villager"), item["id"])).json()["code"]

    async def at_counter(headers: dict[str, str], text: str = code) -> httpx.Response:
        return await client.post(
            "/api/v1/shop/redemptions/fulfil", json={"code": text}, headers=headers
        )

    wrong = await at_counter(shop["v2_keeper"])
    assert wrong.status_code == 403 and wrong.json()["code"] == "shop.wrong_village"
    assert (await at_counter(world.auth("v1_villager"))).status_code == 403
    unknown = await at_counter(shop["v1_keeper"], "00000000" if code != "00000000" else "11111111")
    assert unknown.status_code == 404 and unknown.json()["code"] == "shop.code_not_found"
    answers = await asyncio.gather(
        at_counter(shop["v1_keeper"]), at_counter(world.auth("v1_admin"))
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    [done] = [a for a in answers if a.status_code == 200]
    assert done.json()["status"] == "fulfilled"
    [refused] = [a for a in answers if a.status_code == 409]
    assert refused.json()["code"] == "shop.already_fulfilled"
    cancel = await client.post(
        f"/api/v1/shop/redemptions/{done.json()['id']}/cancel", headers=world.auth("v1_villager")
    )
    assert cancel.status_code == 409
    async with app.state.sessionmaker() as s:
        logged = (
            await s.exec(select(AuditEntry.action).where(col(AuditEntry.action).like("shop.%")))
        ).all()
    assert sorted(logged) == ["shop.fulfil", "shop.redeem"]


async def test_monthly_limit_per_household(client: httpx.AsyncClient, world: World) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world, monthly_limit=1, points=10)
    villager = world.auth("v1_villager")
    first = await redeem(client, villager, item["id"])
    assert first.status_code == 201
    limited = await redeem(client, villager, item["id"])
    assert limited.status_code == 409 and limited.json()["code"] == "shop.monthly_limit"
    await client.post(f"/api/v1/shop/redemptions/{first.json()['id']}/cancel", headers=villager)
    assert (await redeem(client, villager, item["id"])).status_code == 201


async def test_goods_off_the_shelf_cannot_be_redeemed(
    client: httpx.AsyncClient, world: World
) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world)
    r = await client.patch(
        f"/api/v1/admin/shop/goods/{item['id']}",
        json={"on_shelf": False},
        headers=world.auth("v1_admin"),
    )
    assert r.json()["on_shelf"] is False
    assert (await client.get("/api/v1/shop/goods", headers=world.auth("v1_villager"))).json()[
        "items"
    ] == []
    assert (await redeem(client, world.auth("v1_villager"), item["id"])).status_code == 404
    other = await client.patch(
        f"/api/v1/admin/shop/goods/{item['id']}",
        json={"on_shelf": True},
        headers=world.auth("v2_admin"),
    )
    assert other.status_code == 404


async def test_the_monthly_report_on_a_known_month(
    client: httpx.AsyncClient, world: World, shop: dict[str, dict[str, str]]
) -> None:
    await fund(client, world, "h1", 200)
    item = await goods(client, world, points=20, stock=0)
    restocked = await client.post(
        f"/api/v1/admin/shop/goods/{item['id']}/restock",
        json={"quantity": 10, "cost_yuan": "125.50", "note": "村集体收入采购"},
        headers=world.auth("v1_admin"),
    )
    assert restocked.json()["stock"] == 10
    villager = world.auth("v1_villager")
    made = [(await redeem(client, villager, item["id"])).json() for _ in range(4)]
    for r in made[:2]:
        await client.post(
            "/api/v1/shop/redemptions/fulfil", json={"code": r["code"]}, headers=shop["v1_keeper"]
        )
    await client.post(f"/api/v1/shop/redemptions/{made[3]['id']}/cancel", headers=villager)
    period = to_china(utcnow()).strftime("%Y-%m")
    params = {"period": period, "village_id": world.ids["v1"]}
    r = await client.get("/api/v1/admin/shop/reports", params=params, headers=shop["v1_keeper"])
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["redemptions"], data["points_spent"], data["goods_given"]) == (3, 60, 2)
    assert data["fund_spent_yuan"] == "125.50"
    [line] = data["goods"]
    assert (line["redeemed"], line["given"], line["restocked"], line["stock_left"]) == (3, 2, 10, 7)
    other = await client.get("/api/v1/admin/shop/reports", params=params, headers=shop["v2_keeper"])
    assert other.status_code == 404
    sheet = await client.get(
        "/api/v1/admin/shop/reports",
        params={**params, "format": "xlsx"},
        headers=world.auth("v1_admin"),
    )
    report = read_paper(sheet)
    assert report.file_name.startswith("一村") and report.file_name.endswith("积分超市月报.xlsx")
    assert report.rows == [[1, "洗衣液", 3, 2, 60, 10, 125.5, 7]]
    assert "采购支出 125.50 元" in report.lines[0]


async def test_a_code_clash_draws_another_code(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fund(client, world, "h1", 100)
    item = await goods(client, world, points=10)
    villager = world.auth("v1_villager")
    first = (await redeem(client, villager, item["id"])).json()
    # The next draw repeats the code already at the counter, the one after is fresh.
    draws = iter([int(first["code"]), 12345678])
    monkeypatch.setattr("app.services.shop.records.secrets.randbelow", lambda _: next(draws))
    second = await redeem(client, villager, item["id"])
    assert second.status_code == 201, second.text
    assert second.json()["code"] == "12345678" and await balance(client, villager) == 80


async def test_goods_and_my_redemptions_come_in_pages(
    client: httpx.AsyncClient, world: World, shop: dict[str, dict[str, str]]
) -> None:
    await fund(client, world, "h1", 100)
    made = [await goods(client, world, points=1, name=f"商品{n}") for n in range(3)]
    villager = world.auth("v1_villager")
    first = (await client.get("/api/v1/shop/goods", params={"limit": 2}, headers=villager)).json()
    assert [g["id"] for g in first["items"]] == [g["id"] for g in made[:2]]
    rest = await client.get(
        "/api/v1/shop/goods", params={"cursor": first["next_cursor"]}, headers=villager
    )
    assert [g["id"] for g in rest.json()["items"]] == [made[2]["id"]]
    assert rest.json()["next_cursor"] is None
    for item in made:
        assert (await redeem(client, villager, item["id"])).status_code == 201
    newest = (
        await client.get("/api/v1/me/redemptions", params={"limit": 2}, headers=villager)
    ).json()
    assert [r["goods_id"] for r in newest["items"]] == [made[2]["id"], made[1]["id"]]
    older = await client.get(
        "/api/v1/me/redemptions", params={"cursor": newest["next_cursor"]}, headers=villager
    )
    assert [r["goods_id"] for r in older.json()["items"]] == [made[0]["id"]]

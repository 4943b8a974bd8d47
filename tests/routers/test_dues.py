"""Party dues: every rate band at its edges, bills, cash with its receipt and its reversal, the
treasurer's branch, paying on the phone against a fake WeChat Pay (a notice twice is paid once;
a forged, stale or mismatched notice changes nothing; a lost notice is settled by asking),
arrears reminded and flagged once, the dues book and the yearly disclosure."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select, update

from app.china_time import to_china, utcnow
from app.models.auth import UserAccount
from app.models.dues import BaseKind, DuesOrder, DuesPayment
from app.models.notifications import Notification, NotificationKind
from app.services.dues import orders, rates, reminders
from tests.helpers.events import auth, member
from tests.helpers.factories import Login, World
from tests.helpers.fake_wechat_pay import FakeWechatPay, paying_app, pem_pair
from tests.helpers.papers import read_paper

YEAR = to_china(utcnow()).year


@pytest.mark.parametrize(
    ("kind", "base", "monthly"),
    [
        (BaseKind.employed, 300_000, 1_500),  # 3,000 yuan: 0.5 %
        (BaseKind.employed, 300_001, 3_000),  # just above: 1 %, 3,000.01 fen rounds down
        (BaseKind.employed, 500_000, 5_000),
        (BaseKind.employed, 500_001, 7_500),  # 1.5 %
        (BaseKind.employed, 1_000_000, 15_000),
        (BaseKind.employed, 1_000_001, 20_000),  # 2 %
        (BaseKind.retired, 500_000, 2_500),
        (BaseKind.retired, 500_001, 5_000),
        (BaseKind.employed, 100, 1),  # 0.5 fen rounds half up
        (BaseKind.employed, 99, 0),  # 0.495 fen rounds down
        (BaseKind.retired, 0, 0),
    ],
)
def test_every_band_at_its_edges(kind: BaseKind, base: int, monthly: int) -> None:
    assert rates.monthly_due(kind, base, None) == monthly


@pytest.mark.parametrize(("fixed", "ok"), [(19, False), (20, True), (100, True), (101, False)])
def test_the_fixed_sum_stays_within_its_range(fixed: int, ok: bool) -> None:
    if ok:
        assert rates.monthly_due(BaseKind.farmer, None, fixed) == fixed
    else:
        with pytest.raises(rates.FixedOutOfRange):
            rates.monthly_due(BaseKind.no_income, None, fixed)


async def _keeper(
    client: httpx.AsyncClient, world: World, login: Login, branch: str
) -> dict[str, str]:
    keeper = await member(client, world, login, f"收缴员{branch}", branch=branch)
    granted = await client.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": keeper["person_id"],
            "role": "dues_keeper",
            "scope_type": "branch",
            "scope_id": world.ids[branch],
        },
        headers=world.auth("town_a_admin"),
    )
    assert granted.status_code == 201, granted.text
    return keeper


async def _base(
    client: httpx.AsyncClient, headers: dict[str, str], person_id: int, **body: Any
) -> httpx.Response:
    return await client.put(
        f"/api/v1/admin/dues/bases/{person_id}",
        json={"year": YEAR, "kind": "employed", "base_fen": 400_000, **body},
        headers=headers,
    )


async def _bills(
    client: httpx.AsyncClient, who: dict[str, str], year: int = YEAR
) -> dict[str, Any]:
    r = await client.get("/api/v1/me/dues", params={"year": year}, headers=auth(who))
    assert r.status_code == 200, r.text
    return {b["month"]: b for b in r.json()["items"]}


async def test_cash_with_its_receipt_and_a_reversal_that_edits_nothing(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    keeper = await _keeper(client, world, login, "b1")
    alice = await member(client, world, login, "党员甲")
    based = await _base(client, auth(keeper), alice["person_id"])
    assert based.status_code == 200 and based.json()["monthly_fen"] == 4_000
    farmer = await _base(
        client, auth(keeper), alice["person_id"], kind="farmer", base_fen=None, fixed_fen=120
    )
    assert farmer.status_code == 422 and farmer.json()["code"] == "dues.fixed_out_of_range"
    silent = await _base(client, auth(keeper), alice["person_id"], base_fen=450_000)
    assert silent.status_code == 422 and silent.json()["code"] == "dues.reason_required"
    raised = await _base(
        client, auth(keeper), alice["person_id"], base_fen=450_000, reason="年中调资"
    )
    assert raised.status_code == 200 and raised.json()["monthly_fen"] == 4_500
    assert (await _base(client, auth(keeper), alice["person_id"], reason="调回")).status_code == 200
    bills = await _bills(client, alice)
    assert len(bills) == 12 and {b["status"] for b in bills.values()} == {"owed"}
    paid = await client.post(
        "/api/v1/admin/dues/payments",
        json={
            "person_id": alice["person_id"],
            "months": [f"{YEAR}-02", f"{YEAR}-01"],
            "amount_fen": 6_000,
            "receipt_no": "DF-0001",
        },
        headers=auth(keeper),
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["months"] == {f"{YEAR}-01": 4_000, f"{YEAR}-02": 2_000}
    bills = await _bills(client, alice)
    assert bills[f"{YEAR}-01"]["status"] == "paid" and bills[f"{YEAR}-02"]["status"] == "partial"
    again = await client.post(
        "/api/v1/admin/dues/payments",
        json={
            "person_id": alice["person_id"],
            "months": [f"{YEAR}-03"],
            "amount_fen": 4_000,
            "receipt_no": "DF-0001",
        },
        headers=auth(keeper),
    )
    assert again.status_code == 409 and again.json()["code"] == "dues.receipt_used"
    back = await client.post(
        f"/api/v1/admin/dues/payments/{paid.json()['id']}/reverse",
        json={"reason": "收据写错了人"},
        headers=auth(keeper),
    )
    assert back.status_code == 201 and back.json()["amount_fen"] == -6_000
    twice = await client.post(
        f"/api/v1/admin/dues/payments/{paid.json()['id']}/reverse",
        json={"reason": "再冲一次"},
        headers=auth(keeper),
    )
    assert twice.status_code == 409
    assert {b["status"] for b in (await _bills(client, alice)).values()} == {"owed"}
    trail = await client.get(
        "/api/v1/admin/audit", params={"action": "dues_payment."}, headers=world.auth("v1_admin")
    )
    assert len(trail.json()["items"]) == 3  # the payment, its reversal, the original marked


async def test_a_treasurer_keeps_only_their_own_branch(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    keeper_b2 = await _keeper(client, world, login, "b2")
    alice = await member(client, world, login, "党员甲")
    assert (await _base(client, auth(keeper_b2), alice["person_id"])).status_code == 404
    await _base(client, world.auth("b1_admin"), alice["person_id"])
    cash = await client.post(
        "/api/v1/admin/dues/payments",
        json={
            "person_id": alice["person_id"],
            "months": [f"{YEAR}-01"],
            "amount_fen": 4_000,
            "receipt_no": "B2-1",
        },
        headers=auth(keeper_b2),
    )
    assert cash.status_code == 404
    arrears = await client.get(
        "/api/v1/admin/dues/arrears",
        params={"branch_id": world.ids["b1"]},
        headers=auth(keeper_b2),
    )
    assert arrears.status_code == 404
    villager = await client.get(
        "/api/v1/me/dues", params={"year": YEAR}, headers=world.auth("v1_villager")
    )
    assert villager.json()["items"] == []  # a member sees their own bills, and nobody else's


async def _openid(app: FastAPI, person_id: int, openid: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await session.exec(
            update(UserAccount).where(col(UserAccount.person_id) == person_id).values(openid=openid)
        )


async def test_paid_on_the_phone_once_however_often_wechat_says_so(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login, fake_pay: FakeWechatPay
) -> None:
    alice = await member(client, world, login, "党员甲")
    await _base(client, world.auth("b1_admin"), alice["person_id"])
    disabled = await client.post(
        "/api/v1/me/dues/payments", json={"months": [f"{YEAR}-01"]}, headers=auth(alice)
    )
    assert disabled.status_code == 409 and disabled.json()["code"] == "dues.pay_disabled"
    await _openid(app, alice["person_id"], "o-alice")
    async with paying_app(fake_pay) as (paying, phone):
        ordered = await phone.post(
            "/api/v1/me/dues/payments",
            json={"months": [f"{YEAR}-01", f"{YEAR}-02"], "extra_fen": 100},
            headers=auth(alice),
        )
        assert ordered.status_code == 201, ordered.text
        body = ordered.json()
        assert body["amount_fen"] == 8_100
        params = body["pay_params"]
        assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
        [trade_no] = fake_pay.orders
        paid = fake_pay.pay(trade_no)
        # A forged notice (another key), a stale one and a mismatched one change nothing.
        forger, _ = pem_pair()
        for headers, notice in (
            fake_pay.notice(paid, signed_by=forger),
            fake_pay.notice(paid, stamp=int(datetime.now(UTC).timestamp()) - 3600),
            fake_pay.notice({**paid, "amount": {"total": 1, "currency": "CNY"}}),
        ):
            refused = await phone.post("/api/v1/wechat/pay/notify", content=notice, headers=headers)
            assert refused.status_code == 400, refused.text
        assert (await _bills(phone, alice))[f"{YEAR}-01"]["status"] == "owed"
        for _ in range(3):
            headers, notice = fake_pay.notice(paid)
            told = await phone.post("/api/v1/wechat/pay/notify", content=notice, headers=headers)
            assert told.status_code == 204, told.text
        bills = await _bills(phone, alice)
        assert bills[f"{YEAR}-01"]["paid_fen"] == 4_000
        assert bills[f"{YEAR}-02"]["paid_fen"] == 4_100  # the extra, by choice
        async with paying.state.sessionmaker() as session:
            made = (await session.exec(select(DuesPayment))).all()
        assert len(made) == 1 and made[0].method == "wechat"
        paid_again = await phone.post(
            "/api/v1/me/dues/payments", json={"months": [f"{YEAR}-01"]}, headers=auth(alice)
        )
        assert paid_again.status_code == 409 and paid_again.json()["code"] == "dues.month_paid"


async def test_a_lost_notice_is_settled_by_asking_and_an_abandoned_order_closed(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login, fake_pay: FakeWechatPay
) -> None:
    alice = await member(client, world, login, "党员甲")
    bob = await member(client, world, login, "党员乙")
    for who, openid in ((alice, "o-alice"), (bob, "o-bob")):
        await _base(client, world.auth("b1_admin"), who["person_id"])
        await _openid(app, who["person_id"], openid)
    async with paying_app(fake_pay) as (paying, phone):
        for who in (alice, bob):
            r = await phone.post(
                "/api/v1/me/dues/payments", json={"months": [f"{YEAR}-03"]}, headers=auth(who)
            )
            assert r.status_code == 201, r.text
        async with paying.state.sessionmaker() as session:
            placed = {o.person_id: o for o in (await session.exec(select(DuesOrder))).all()}
        fake_pay.pay(placed[alice["person_id"]].out_trade_no)  # paid; its notice was lost
        pay = paying.state.pay
        later = utcnow() + orders.CLOSE_AFTER + timedelta(minutes=1)
        async with paying.state.sessionmaker() as session, session.begin():
            assert await orders.settle_waiting(session, pay=pay, now=later) == 1
        async with paying.state.sessionmaker() as session, session.begin():
            assert await orders.settle_waiting(session, pay=pay, now=later) == 0
        assert (await _bills(phone, alice))[f"{YEAR}-03"]["status"] == "paid"
        assert (await _bills(phone, bob))[f"{YEAR}-03"]["status"] == "owed"
        assert fake_pay.orders[placed[bob["person_id"]].out_trade_no]["trade_state"] == "CLOSED"
        assert fake_pay.refused_requests == 0  # every request we sent was signed right


async def test_arrears_are_reminded_at_one_and_three_months_and_flagged_once_at_six(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    await _base(client, world.auth("b1_admin"), alice["person_id"], year=YEAR - 1)
    # Paid January to May of last year in cash: owed from June on.
    await client.post(
        "/api/v1/admin/dues/payments",
        json={
            "person_id": alice["person_id"],
            "months": [f"{YEAR - 1}-{m:02d}" for m in range(1, 6)],
            "amount_fen": 20_000,
            "receipt_no": "R-1",
        },
        headers=world.auth("b1_admin"),
    )
    listed = await client.get(
        "/api/v1/admin/dues/arrears",
        params={"branch_id": world.ids["b1"]},
        headers=world.auth("v1_admin"),
    )
    [line] = listed.json()["items"]
    assert line["months_owed"] == 7 and line["owed_fen"] == 28_000
    assert line["months"][0] == f"{YEAR - 1}-06"
    now = utcnow()
    for _ in range(2):
        async with app.state.sessionmaker() as session, session.begin():
            await reminders.remind(session, now=now)
    async with app.state.sessionmaker() as session:
        notes = (await session.exec(select(Notification))).all()
    owed = sorted(n.occasion for n in notes if n.kind == NotificationKind.dues_owed)
    assert owed == [f"1:{YEAR - 1}-06", f"3:{YEAR - 1}-06"]
    flagged = [n for n in notes if n.kind == NotificationKind.dues_arrears]
    told = {n.person_id for n in flagged}
    assert told == {world.ids["b1_admin"], world.ids["v1_admin"], world.ids["town_a_admin"]}
    assert len(flagged) == 3  # once each, however often the job ran


async def test_the_book_and_the_years_disclosure(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    await member(client, world, login, "党员乙")
    await _base(client, world.auth("b1_admin"), alice["person_id"])
    await client.post(
        "/api/v1/admin/dues/payments",
        json={
            "person_id": alice["person_id"],
            "months": [f"{YEAR}-01", f"{YEAR}-02"],
            "amount_fen": 8_000,
            "receipt_no": "R-9",
        },
        headers=world.auth("b1_admin"),
    )
    book = await client.get(
        "/api/v1/admin/dues/book",
        params={"branch_id": world.ids["b1"], "year": YEAR},
        headers=world.auth("v1_admin"),
    )
    lines = {line["name"]: line for line in book.json()["items"]}
    assert lines["党员甲"]["paid_months"] == [f"{YEAR}-01", f"{YEAR}-02"]
    assert lines["党员乙"]["due_fen"] == 0 and book.json()["paid_fen"] == 8_000
    paper = read_paper(
        await client.get(
            "/api/v1/admin/dues/book",
            params={"branch_id": world.ids["b1"], "year": YEAR, "format": "xlsx"},
            headers=world.auth("v1_admin"),
        )
    )
    assert paper.file_name == f"一村党支部{YEAR}年党费收缴台账.xlsx"
    totals = await client.get(
        "/api/v1/admin/dues/totals", params={"year": YEAR}, headers=world.auth("town_a_admin")
    )
    by_branch = {t["branch_id"]: t for t in totals.json()["items"]}
    assert by_branch[world.ids["b1"]]["paid_fen"] == 8_000
    assert by_branch[world.ids["b2"]]["paid_fen"] == 0
    village = await client.get(
        "/api/v1/admin/dues/totals", params={"year": YEAR}, headers=world.auth("v1_admin")
    )
    assert village.status_code == 403
    drafted = await client.post(
        "/api/v1/admin/dues/disclosures",
        json={"branch_id": world.ids["b1"], "year": YEAR},
        headers=world.auth("v1_admin"),
    )
    assert drafted.status_code == 201, drafted.text
    post = drafted.json()
    assert post["status"] == "pending_review" and post["category"] == "disclosure_party"
    assert "党员甲：交纳 80.00 元（1、2月）" in post["body"] and "党员乙" not in post["body"]
    assert "1660" not in post["body"]  # no phone number of anyone


async def test_a_month_paid_partly_in_cash_and_the_rest_on_the_phone(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login, fake_pay: FakeWechatPay
) -> None:
    alice = await member(client, world, login, "党员甲")
    await _base(client, world.auth("b1_admin"), alice["person_id"])  # 40 yuan a month
    await _openid(app, alice["person_id"], "o-alice")
    cash = await client.post(
        "/api/v1/admin/dues/payments",
        json={
            "person_id": alice["person_id"],
            "months": [f"{YEAR}-04"],
            "amount_fen": 1_500,
            "receipt_no": "C-1",
        },
        headers=world.auth("b1_admin"),
    )
    assert cash.status_code == 201
    assert (await _bills(client, alice))[f"{YEAR}-04"]["status"] == "partial"
    async with paying_app(fake_pay) as (_, phone):
        ordered = await phone.post(
            "/api/v1/me/dues/payments", json={"months": [f"{YEAR}-04"]}, headers=auth(alice)
        )
        assert ordered.status_code == 201 and ordered.json()["amount_fen"] == 2_500
        [trade_no] = fake_pay.orders
        headers, notice = fake_pay.notice(fake_pay.pay(trade_no))
        told = await phone.post("/api/v1/wechat/pay/notify", content=notice, headers=headers)
        assert told.status_code == 204
    april = (await _bills(client, alice))[f"{YEAR}-04"]
    assert (april["status"], april["paid_fen"]) == ("paid", 4_000)

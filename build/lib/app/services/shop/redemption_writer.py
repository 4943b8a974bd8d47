"""The redemption writer: where a household's redemption takes its points and stock at once.

The request only finds the household; the redemption writer rings the redemption up with those
arriving beside it (group commit), alone at a quiet moment. Stock moves only by conditional UPDATEs
(``stock >= n``) under a lock on the goods' row, and points only through the ledger, which
locks the account: two households racing for the last item, or one household's phones racing
for its balance, cannot both win. Each household's redemptions wait on a lock on its row, so
the monthly limit holds too. Locks are taken goods first, then households, then accounts (the
order cancellation and expiry keep too), so no two writers wait on each other in a circle.

On PostgreSQL a group is a few statements: the goods and the households locked in one each,
the month's counts and the balances read in one each, the redemptions in one, the spends
through ``ledger.credit_each``, the audit and inbox rows one each, and the stock one per goods.
The goods are locked for the whole group: a second group for the same goods waits, and then
reads the stock the first left, so a group is never refused for stock it did not count.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Integer, Table, any_, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql
from sqlmodel.ext.asyncio.session import AsyncSession

from app import idempotency
from app.china_time import utcnow
from app.config import Settings
from app.db import rows
from app.db.group_commit import GroupCommit
from app.models.base import id_of
from app.models.points import Ledger, OwnerType, PointsAccount
from app.models.roster import Household
from app.models.shop import RedemptionCreate, ShopGoods, ShopRedemption
from app.request_context import acting_for, current_request_id
from app.services import audit
from app.services.identity import Principal, caller_person
from app.services.notifications import notify, notify_each
from app.services.points import InsufficientPoints, ledger
from app.services.shop import records
from app.services.shop.orders import (
    NoHousehold,
    Order,
    ShopInsufficientPoints,
    out_of_stock,
    redeemed_this_month,
    refusal,
    short_of_points,
)

# The group's reads (PostgreSQL), each with one array of ids rather than an expanding IN: the
# statement's text does not depend on the group's size, so each connection prepares it once.
_IDS = bindparam("ids", type_=postgresql.ARRAY(Integer))
_GOODS = cast(Table, ShopGoods.__table__)  # type: ignore[attr-defined]
_HOUSEHOLDS = cast(Table, Household.__table__)  # type: ignore[attr-defined]
_ACCOUNTS = cast(Table, PointsAccount.__table__)  # type: ignore[attr-defined]
_LOCK_GOODS = (
    core_select(_GOODS).where(_GOODS.c.id == any_(_IDS)).order_by(_GOODS.c.id).with_for_update()
)
_LOCK_HOUSEHOLDS = (
    core_select(_HOUSEHOLDS.c.id, _HOUSEHOLDS.c.town_id, _HOUSEHOLDS.c.village_id)
    .where(_HOUSEHOLDS.c.id == any_(_IDS))
    .order_by(_HOUSEHOLDS.c.id)
    .with_for_update()
)
_BALANCES = core_select(_ACCOUNTS.c.owner_id, _ACCOUNTS.c.balance).where(
    _ACCOUNTS.c.ledger == Ledger.household,
    _ACCOUNTS.c.owner_type == OwnerType.household,
    _ACCOUNTS.c.owner_id == any_(_IDS),
)


class RedemptionWriter(GroupCommit[Order, ShopRedemption]):
    """Where redemptions wait to be rung up: together at a rush, alone at a quiet moment."""

    @classmethod
    def grouped(cls, settings: Settings) -> bool:
        return settings.group_redemptions  # XZ_GROUP_REDEMPTIONS=false: each alone

    async def together(
        self, session: AsyncSession, items: Sequence[Order]
    ) -> list[ShopRedemption | Exception]:
        return await write_orders(session, items)

    async def alone(self, session: AsyncSession, item: Order) -> ShopRedemption:
        return await write_order(session, item)


async def redeem(
    writer: RedemptionWriter,
    *,
    principal: Principal,
    data: RedemptionCreate,
    reservation_days: int,
    receipt: idempotency.Receipt | None = None,
) -> ShopRedemption:
    """Rung up and committed when this returns (with the request's answer, given a
    ``receipt``); raises the shop's refusal otherwise."""
    person_id: int | None
    household_id: int | None
    if principal.person_id is not None and principal.home is not None:
        person_id, household_id = principal.person_id, principal.home.household_id
    else:
        async with writer.sessionmaker() as reading:
            person = await caller_person(reading, principal)
        person_id = person.id if person is not None else None
        household_id = person.household_id if person is not None else None
    if person_id is None or household_id is None:
        raise NoHousehold()
    order = Order(
        goods_id=data.goods_id,
        quantity=data.quantity,
        household_id=household_id,
        person_id=person_id,
        principal=principal,
        request_id=current_request_id(),
        expires_at=utcnow() + timedelta(days=reservation_days),
    )
    return await writer.submit(order, receipt)


async def write_order(session: AsyncSession, order: Order) -> ShopRedemption:
    """One redemption, in the caller's transaction, recorded as the request's."""
    with acting_for(order.request_id):
        return await _write_order(session, order)


async def _write_order(session: AsyncSession, order: Order) -> ShopRedemption:
    goods = (await _lock_goods(session, {order.goods_id})).get(order.goods_id)
    # Every redemption of this household waits for the one before: the monthly limit and the
    # balance are then read by one writer at a time.
    household = await session.get(Household, order.household_id, with_for_update=True)
    assert household is not None  # the principal's household: people are never deleted
    now = utcnow()
    pair = (order.household_id, order.goods_id)
    limited = goods is not None and goods.monthly_limit is not None
    already = (await redeemed_this_month(session, [pair], now)).get(pair, 0) if limited else 0
    refused = refusal(order, goods, household.village_id, already, goods.stock if goods else 0)
    if refused is not None:
        raise refused
    assert goods is not None
    # The redemption first, so the ledger entry can name it; both stand or fall together.
    redemption = await records.with_code(
        session, records.values(order, goods, household.town_id, now)
    )
    try:
        entry = await ledger.credit(
            session,
            ledger=Ledger.household,
            owner=ledger.Owner.of_household(household),
            posting=records.spend(order, goods, id_of(redemption)),
            actor=order.principal,
        )
    except InsufficientPoints as exc:
        # The writer's transaction rolls back: the stock and the redemption go with it.
        raise ShopInsufficientPoints(exc.detail) from exc
    await rows.update_row(session, redemption, entry_id=entry.id)
    await audit.record_values(session, records.trail(order, redemption))
    note = records.note(goods, redemption)
    await notify(
        session,
        people=[order.person_id],
        kind=note.kind,
        target=note.target,
        title=note.title,
        body=note.body,
        values=note.values,
    )
    # Refused here (it cannot be, under the lock), the redemption and its entry roll back.
    if not await records.take_stock(session, id_of(goods), order.quantity):
        raise out_of_stock(goods)
    return redemption


async def write_orders(
    session: AsyncSession, orders: Sequence[Order]
) -> list[ShopRedemption | Exception]:
    """Redemptions rung up together (PostgreSQL; group commit). Each answer is what
    ``write_order`` would give: the redemption, or the refusal heard before anything of it was
    written. A spend the ledger refuses (a deduction landed after the balances were read)
    fails the group, whose orders are then written one by one."""
    conn = await rows.connection(session)
    if conn.dialect.name != "postgresql":
        return [await write_order(session, order) for order in orders]
    shelf = await _lock_goods(session, {o.goods_id for o in orders})
    homes = await _lock_households(session, {o.household_id for o in orders})
    now = utcnow()
    month = await redeemed_this_month(
        session,
        [(o.household_id, o.goods_id) for o in orders if _limited(shelf.get(o.goods_id))],
        now,
    )
    balances = await _balances(session, set(homes))
    taken: Counter[int] = Counter()
    answers: list[ShopRedemption | Exception | None] = []
    admitted: list[tuple[int, Order, ShopGoods]] = []
    for i, order in enumerate(orders):
        goods, pair = shelf.get(order.goods_id), (order.household_id, order.goods_id)
        left = goods.stock - taken[order.goods_id] if goods is not None else 0
        refused = refusal(order, goods, homes[order.household_id][1], month.get(pair, 0), left)
        if refused is None:
            assert goods is not None
            points = goods.points * order.quantity
            balance = balances.get(order.household_id, 0)
            if balance < points:
                refused = short_of_points(balance, points)
            else:
                balances[order.household_id] = balance - points
                month[pair] = month.get(pair, 0) + order.quantity
                taken[order.goods_id] += order.quantity
                admitted.append((i, order, goods))
        answers.append(refused)
    made = await _rung_up(session, admitted, homes, now)
    for (i, _, _), redemption in zip(admitted, made, strict=True):
        answers[i] = redemption
    for goods_id in sorted(taken):
        if not await records.take_stock(session, goods_id, taken[goods_id]):
            raise out_of_stock(shelf[goods_id])  # cannot happen under the lock; fails the group
    return [answer for answer in answers if answer is not None]


async def _rung_up(
    session: AsyncSession,
    admitted: list[tuple[int, Order, ShopGoods]],
    homes: dict[int, tuple[int, int]],
    now: Any,
) -> list[ShopRedemption]:
    """The admitted orders' redemptions, spends, audit and inbox rows, one statement each."""
    if not admitted:
        return []
    values = [
        records.values(order, goods, homes[order.household_id][0], now)
        for _, order, goods in admitted
    ]
    ids = await records.with_codes(session, values)
    credits = [
        ledger.Credit(
            ledger.Owner(OwnerType.household, order.household_id, *homes[order.household_id]),
            records.spend(order, goods, row_id),
            order.principal,
            order.request_id,
        )
        for (_, order, goods), row_id in zip(admitted, ids, strict=True)
    ]
    try:
        entries = await ledger.credit_each(session, ledger=Ledger.household, credits=credits)
    except InsufficientPoints as exc:
        raise ShopInsufficientPoints(exc.detail) from exc
    made = [
        rows.unsaved(ShopRedemption, {**v, "id": row_id, "entry_id": entry.id})
        for v, row_id, entry in zip(values, ids, entries, strict=True)
    ]
    conn = await rows.connection(session)
    await rows.update_many(
        conn, ShopRedemption, [{"row_id": r.id, "entry_id": r.entry_id} for r in made]
    )
    await audit.record_many(
        session, [records.trail(order, r) for (_, order, _), r in zip(admitted, made, strict=True)]
    )
    await notify_each(
        session,
        [
            (order.person_id, records.note(goods, r))
            for (_, order, goods), r in zip(admitted, made, strict=True)
        ],
    )
    return made


def _limited(goods: ShopGoods | None) -> bool:
    return goods is not None and goods.monthly_limit is not None


async def _lock_households(session: AsyncSession, ids: set[int]) -> dict[int, tuple[int, int]]:
    """Each household's (town, village), its row locked; in id order, so that two groups
    never wait on each other."""
    conn = await rows.connection(session)
    locked = await conn.execute(_LOCK_HOUSEHOLDS, {"ids": sorted(ids)})
    return {row_id: (town_id, village_id) for row_id, town_id, village_id in locked}


async def _lock_goods(session: AsyncSession, ids: set[int]) -> dict[int, ShopGoods]:
    """The goods, their rows locked (in id order) and their stock read fresh."""
    conn = await rows.connection(session)
    if conn.dialect.name != "postgresql":
        found = [await session.get(ShopGoods, i, with_for_update=True) for i in sorted(ids)]
        return {id_of(goods): goods for goods in found if goods is not None}
    locked = await conn.execute(_LOCK_GOODS, {"ids": sorted(ids)})
    return {row.id: rows.unsaved(ShopGoods, dict(row._mapping)) for row in locked}


async def _balances(session: AsyncSession, households: set[int]) -> dict[int, int]:
    """The households' balances, read under their locks: only a redemption (which waits on the
    same lock) or a rare deduction spends them, and the ledger still refuses an overdraft."""
    conn = await rows.connection(session)
    found = await conn.execute(_BALANCES, {"ids": sorted(households)})
    return {owner_id: balance for owner_id, balance in found}

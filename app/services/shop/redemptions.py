"""Redemptions that take points and stock at once, fulfilment at the counter exactly once,
and cancellation or expiry that gives both back.

Stock moves only by conditional UPDATEs (``stock >= n``) and points only through the ledger,
which locks the account: two households racing for the last item, or one household's phones
racing for its balance, cannot both win. Each household's redemptions are serialised by a lock
on its row, so the monthly limit holds too.
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import month_bounds, to_china, utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.models.base import id_of
from app.models.notifications import NotificationKind
from app.models.points import Ledger, LedgerEntry, SourceType
from app.models.roster import Household
from app.models.shop import (
    RedemptionCreate,
    RedemptionStatus,
    ShopGoods,
    ShopRedemption,
)
from app.services import audit
from app.services.identity import Principal, caller_person, covers, location_of
from app.services.kit import Page, keyset_page, rows
from app.services.notifications import notify
from app.services.points import InsufficientPoints, ledger
from app.services.shop.common import (
    COUNTER_ROLES,
    OPEN,
    GoodsNotFound,
    RedemptionNotFound,
)


class CodeBusy(Conflict):
    code = "shop.code_busy"
    detail = "兑换码生成失败，请重试。"


class CodeNotFound(NotFound):
    code = "shop.code_not_found"
    detail = "兑换码不存在，请核对后再试。"


class Expired(Conflict):
    code = "shop.expired"
    detail = "该兑换已过期，积分将自动退回。"


class MonthlyLimit(Conflict):
    code = "shop.monthly_limit"
    detail = "「…」每户每月限兑 … 件，本月已兑 … 件。"


class NoHousehold(Forbidden):
    code = "shop.no_household"
    detail = "积分超市按农户兑换，请先在村里登记所在农户。"


class OutOfStock(Conflict):
    code = "shop.out_of_stock"
    detail = "「…」库存不足。"


class ShopInsufficientPoints(Conflict):
    code = "shop.insufficient_points"
    detail = ""


class WrongVillage(Forbidden):
    code = "shop.wrong_village"
    detail = "该兑换码不是本村积分超市的，不能在这里领取。"


async def _household(session: AsyncSession, principal: Principal) -> tuple[int, Household]:
    """The caller's person id and household, locked; the principal's home names the household
    (no person query) when it carries one."""
    person_id: int | None
    household_id: int | None
    if principal.person_id is not None and principal.home is not None:
        person_id, household_id = principal.person_id, principal.home.household_id
    else:
        person = await caller_person(session, principal)
        person_id = person.id if person is not None else None
        household_id = person.household_id if person is not None else None
    if person_id is None or household_id is None:
        raise NoHousehold()
    # Every redemption of this household waits for the one before: the monthly limit and the
    # balance are then read by one request at a time.
    household = await session.get(Household, household_id, with_for_update=True)
    assert household is not None
    return person_id, household


async def _redeemed_this_month(
    session: AsyncSession, household_id: int, goods_id: int, now: datetime
) -> int:
    start, end = month_bounds(now)
    total = (
        await session.exec(
            select(func.coalesce(func.sum(ShopRedemption.quantity), 0)).where(
                col(ShopRedemption.household_id) == household_id,
                col(ShopRedemption.goods_id) == goods_id,
                col(ShopRedemption.status).in_(
                    [RedemptionStatus.reserved, RedemptionStatus.fulfilled]
                ),
                col(ShopRedemption.created_at) >= start,
                col(ShopRedemption.created_at) < end,
            )
        )
    ).one()
    return int(total)


async def redeem(
    session: AsyncSession, *, principal: Principal, data: RedemptionCreate, reservation_days: int
) -> ShopRedemption:
    person_id, household = await _household(session, principal)
    goods = await session.get(ShopGoods, data.goods_id)
    if goods is None or goods.village_id != household.village_id or not goods.on_shelf:
        raise GoodsNotFound()
    now = utcnow()
    if goods.monthly_limit is not None:
        already = await _redeemed_this_month(session, id_of(household), data.goods_id, now)
        if already + data.quantity > goods.monthly_limit:
            raise MonthlyLimit(
                f"「{goods.name}」每户每月限兑 {goods.monthly_limit} 件，本月已兑 {already} 件。"
            )
    if goods.stock < data.quantity:
        raise OutOfStock(f"「{goods.name}」库存不足。")
    # The redemption first, so the ledger entry can name it; both stand or fall together.
    redemption = await _with_code(
        session,
        goods_id=id_of(goods),
        town_id=goods.town_id,
        village_id=goods.village_id,
        household_id=id_of(household),
        person_id=person_id,
        quantity=data.quantity,
        points=goods.points * data.quantity,
        status=OPEN,
        expires_at=now + timedelta(days=reservation_days),
    )
    try:
        entry = await ledger.credit(
            session,
            ledger=Ledger.household,
            owner=ledger.Owner.of_household(household),
            posting=ledger.Posting(
                title=f"兑换：{goods.name}",
                points_each=-goods.points,
                quantity=data.quantity,
                source_type=SourceType.redemption,
                source_id=str(redemption.id),
                allow_overdraft=False,
            ),
            actor=principal,
        )
    except InsufficientPoints as exc:
        # The request's transaction rolls back: the stock and the redemption go with it.
        raise ShopInsufficientPoints(exc.detail) from exc
    await rows.update_row(session, redemption, entry_id=entry.id)
    await audit.record(
        session,
        actor=principal,
        action="shop.redeem",
        target_type="shop_redemption",
        target_id=id_of(redemption),
        where=location_of(redemption),
        after={"goods_id": goods.id, "quantity": data.quantity, "points": redemption.points},
    )
    await notify(
        session,
        people=[person_id],
        kind=NotificationKind.redemption_ready,
        target=("shop_redemption", id_of(redemption)),
        title="兑换成功，请到积分超市领取",
        body=f"{goods.name} × {data.quantity}，兑换码 {redemption.code}，"
        f"请于 {to_china(redemption.expires_at):%m月%d日} 前领取。",
        values={
            "name": goods.name,
            "code": redemption.code,
            "points": str(redemption.points),
            "time": redemption.expires_at,
            "note": f"兑换码 {redemption.code}",
        },
    )
    # The stock last: its row lock is what a rush on one item queues on, so it is held only from
    # here to the commit. Refused here, the redemption and its entry roll back with it.
    taken = await session.execute(
        update(ShopGoods)
        .where(
            col(ShopGoods.id) == goods.id,
            col(ShopGoods.stock) >= data.quantity,
            col(ShopGoods.on_shelf),
        )
        .values(stock=ShopGoods.stock - data.quantity)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise OutOfStock(f"「{goods.name}」库存不足。")
    return redemption


async def _with_code(session: AsyncSession, **fields: Any) -> ShopRedemption:
    """Saves a redemption under a fresh 8-digit code, trying again on the rare clash (ON
    CONFLICT DO NOTHING on the code: the clash does not spoil the request's transaction)."""
    for _ in range(8):
        redemption = ShopRedemption(code=f"{secrets.randbelow(10**8):08d}", **fields)
        if await rows.insert_row(session, redemption, skip_conflict=True):
            return redemption
    raise CodeBusy()


async def _give_back(
    session: AsyncSession,
    redemption: ShopRedemption,
    *,
    status: RedemptionStatus,
    actor: Principal | None,
    reason: str,
) -> None:
    """Points back through a reversal entry, stock back by an UPDATE, the redemption closed."""
    entry = await session.get(LedgerEntry, redemption.entry_id) if redemption.entry_id else None
    assert entry is not None
    refund = await ledger.reverse(
        session,
        entry=entry,
        actor=actor,
        reason=reason,
        source_type=SourceType.redemption,
        source_id=str(redemption.id),
    )
    await session.execute(
        update(ShopGoods)
        .where(col(ShopGoods.id) == redemption.goods_id)
        .values(stock=ShopGoods.stock + redemption.quantity)
    )
    redemption.status = status
    redemption.refund_entry_id = refund.id
    redemption.closed_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=f"shop.{status.value}",
        target_type="shop_redemption",
        target_id=id_of(redemption),
        where=location_of(redemption),
        after={"points_back": redemption.points, "stock_back": redemption.quantity},
    )


async def _locked(session: AsyncSession, redemption_id: int) -> ShopRedemption | None:
    return await session.get(ShopRedemption, redemption_id, with_for_update=True)


def _not_open(redemption: ShopRedemption) -> Conflict:
    words = {
        RedemptionStatus.fulfilled: (
            "shop.already_fulfilled",
            "该兑换已领取，不能重复领取。",
        ),
        RedemptionStatus.cancelled: ("shop.cancelled", "该兑换已取消。"),
        RedemptionStatus.expired: ("shop.expired", "该兑换已过期，积分已退回。"),
    }
    code, detail = words[redemption.status]
    return Conflict(detail, code=code)


async def cancel(
    session: AsyncSession, *, principal: Principal, redemption_id: int
) -> ShopRedemption:
    redemption = await readable_redemption(
        session, principal=principal, redemption_id=redemption_id, lock=True
    )
    if redemption.status != OPEN:
        raise _not_open(redemption)
    await _give_back(
        session, redemption, status=RedemptionStatus.cancelled, actor=principal, reason="取消兑换"
    )
    return redemption


async def fulfil(session: AsyncSession, *, principal: Principal, code: str) -> ShopRedemption:
    found = (
        await session.exec(select(ShopRedemption.id).where(col(ShopRedemption.code) == code))
    ).first()
    redemption = await _locked(session, found) if found is not None else None
    if redemption is None:
        raise CodeNotFound()
    if not covers(principal, location_of(redemption), COUNTER_ROLES):
        raise WrongVillage()
    if redemption.status == OPEN and redemption.expires_at < utcnow():
        # The expiry job gives the points and stock back; the counter must not hand it over.
        raise Expired()
    if redemption.status != OPEN:
        raise _not_open(redemption)
    redemption.status = RedemptionStatus.fulfilled
    redemption.fulfilled_at = redemption.closed_at = utcnow()
    redemption.fulfilled_by_person_id = principal.person_id
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="shop.fulfil",
        target_type="shop_redemption",
        target_id=id_of(redemption),
        where=location_of(redemption),
        after={"code": code, "quantity": redemption.quantity},
    )
    return redemption


async def expire(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Reservations not collected in time give their points and stock back."""
    moment = now or utcnow()
    due = (
        await session.exec(
            select(ShopRedemption.id).where(
                col(ShopRedemption.status) == OPEN, col(ShopRedemption.expires_at) < moment
            )
        )
    ).all()
    expired = 0
    for redemption_id in due:
        assert redemption_id is not None  # a primary key read back
        redemption = await _locked(session, redemption_id)
        if redemption is None or redemption.status != OPEN:
            continue  # collected or cancelled meanwhile
        await _give_back(
            session, redemption, status=RedemptionStatus.expired, actor=None, reason="兑换过期"
        )
        expired += 1
    return expired


async def readable_redemption(
    session: AsyncSession, *, principal: Principal, redemption_id: int, lock: bool = False
) -> ShopRedemption:
    """The household's own redemption, or one at a counter the caller keeps."""
    redemption = await session.get(ShopRedemption, redemption_id, with_for_update=lock or None)
    person = await caller_person(session, principal)
    own = (
        person is not None
        and redemption is not None
        and person.household_id == redemption.household_id
    )
    if redemption is None or not (own or covers(principal, location_of(redemption), COUNTER_ROLES)):
        raise RedemptionNotFound()
    return redemption


async def my_redemptions(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[ShopRedemption]:
    """The household's redemptions, newest first."""
    person = await caller_person(session, principal)
    if person is None or person.household_id is None:
        return Page([], None)
    stmt = select(ShopRedemption).where(col(ShopRedemption.household_id) == person.household_id)
    return await keyset_page(
        session,
        stmt,
        order_by=[col(ShopRedemption.id)],
        limit=limit,
        cursor=cursor,
        descending=True,
    )

"""A redemption asked for, before the redemption writer rings it up: who asks, for what, and the
shop's rules that may refuse it (the shelf, the monthly limit, the stock), shared by the redemption
writer's two ways of writing so that a redemption written alone and one written in a group hear the
same."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import month_bounds
from app.errors import AppError, Conflict, Forbidden
from app.models.shop import RedemptionStatus, ShopGoods, ShopRedemption
from app.services.identity import Principal
from app.services.shop.common import GoodsNotFound


class CodeBusy(Conflict):
    code = "shop.code_busy"
    detail = "兑换码生成失败，请重试。"


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


@dataclass(frozen=True, slots=True)
class Order:
    """A household's redemption, let in by the request and waiting to be rung up."""

    goods_id: int
    quantity: int
    household_id: int
    person_id: int
    principal: Principal
    request_id: str | None
    expires_at: datetime


def refusal(
    order: Order, goods: ShopGoods | None, village_id: int, already: int, stock: int
) -> AppError | None:
    """Why the shop refuses the order, if it does: ``already`` is what the household has
    redeemed of these goods this month, ``stock`` what the shelf still holds."""
    if goods is None or goods.village_id != village_id or not goods.on_shelf:
        return GoodsNotFound()
    if goods.monthly_limit is not None and already + order.quantity > goods.monthly_limit:
        return MonthlyLimit(
            f"「{goods.name}」每户每月限兑 {goods.monthly_limit} 件，本月已兑 {already} 件。"
        )
    if stock < order.quantity:
        return out_of_stock(goods)
    return None


def out_of_stock(goods: ShopGoods) -> OutOfStock:
    return OutOfStock(f"「{goods.name}」库存不足。")


def short_of_points(balance: int, points: int) -> ShopInsufficientPoints:
    return ShopInsufficientPoints(f"积分余额不足：现有 {balance} 分，需要 {points} 分。")


async def redeemed_this_month(
    session: AsyncSession, pairs: Iterable[tuple[int, int]], now: datetime
) -> dict[tuple[int, int], int]:
    """What each (household, goods) has taken this China month, still open or handed over."""
    wanted = set(pairs)
    if not wanted:
        return {}
    start, end = month_bounds(now)
    rows = await session.exec(
        select(
            ShopRedemption.household_id,
            ShopRedemption.goods_id,
            func.coalesce(func.sum(ShopRedemption.quantity), 0),
        )
        .where(
            col(ShopRedemption.household_id).in_(sorted({h for h, _ in wanted})),
            col(ShopRedemption.goods_id).in_(sorted({g for _, g in wanted})),
            col(ShopRedemption.status).in_([RedemptionStatus.reserved, RedemptionStatus.fulfilled]),
            col(ShopRedemption.created_at) >= start,
            col(ShopRedemption.created_at) < end,
        )
        .group_by(col(ShopRedemption.household_id), col(ShopRedemption.goods_id))
    )
    return {(h, g): int(n) for h, g, n in rows.all()}

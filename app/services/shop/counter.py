"""The counter's first look at a code: which goods, how many, for which household, and
whether it can still be handed over, before the keeper fulfils it."""

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.models.roster import Household, ScopeType
from app.models.shop import ShopGoods, ShopRedemption
from app.services.identity import Principal, covers, location_of
from app.services.shop.common import COUNTER_ROLES, OPEN
from app.services.shop.redemptions import CodeNotFound, WrongVillage


@dataclass(frozen=True, slots=True)
class AtCounter:
    redemption: ShopRedemption
    goods: ShopGoods | None
    household: Household | None
    # None when it can be handed over now; else why not, in the counter's words.
    refusal: str | None


_CLOSED = {
    "fulfilled": "该兑换已领取，不能重复领取。",
    "cancelled": "该兑换已取消。",
    "expired": "该兑换已过期，积分已退回。",
}


async def look_up(session: AsyncSession, *, principal: Principal, code: str) -> AtCounter:
    """The redemption a code names, at a counter the caller keeps: the same refusals as
    fulfilling it (an unknown code, another village's)."""
    redemption = (
        await session.exec(select(ShopRedemption).where(col(ShopRedemption.code) == code))
    ).first()
    if redemption is None:
        raise CodeNotFound()
    if not covers(principal, location_of(redemption), COUNTER_ROLES):
        raise WrongVillage()
    refusal = None
    if redemption.status != OPEN:
        refusal = _CLOSED.get(str(redemption.status), "该兑换不能领取。")
    elif redemption.expires_at < utcnow():
        refusal = "该兑换已过期，积分将自动退回。"
    return AtCounter(
        redemption=redemption,
        goods=await session.get(ShopGoods, redemption.goods_id),
        household=await session.get(Household, redemption.household_id),
        refusal=refusal,
    )


def counter_village(*, principal: Principal) -> int | None:
    """The one village whose counter the caller keeps or administers, or None when they
    cover several (they choose)."""
    kept = {
        g.scope_id
        for g in principal.grants
        if g.role in COUNTER_ROLES and g.scope_type is ScopeType.village
    }
    wider = any(
        g.scope_type in (ScopeType.global_, ScopeType.town)
        for g in principal.grants
        if g.role in COUNTER_ROLES
    )
    if len(kept) == 1 and not wider:
        return kept.pop()
    return None

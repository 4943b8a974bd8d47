"""The counter's first look at a code: which goods, how many, for which household, and
whether it can still be handed over, before the keeper fulfils it."""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.roster import Household, ScopeType
from app.models.shop import ShopGoods, ShopRedemption
from app.services.identity import Principal
from app.services.shop import redemptions
from app.services.shop.common import COUNTER_ROLES


@dataclass(frozen=True, slots=True)
class AtCounter:
    redemption: ShopRedemption
    goods: ShopGoods | None
    household: Household | None
    # None when it can be handed over now; else why not, in the counter's words.
    refusal: str | None


async def look_up(session: AsyncSession, *, principal: Principal, code: str) -> AtCounter:
    """The redemption a code names, at a counter the caller keeps: the same refusals as
    fulfilling it (an unknown code, another village's)."""
    redemption = await redemptions.at_counter(session, principal=principal, code=code, lock=False)
    refused = redemptions.refusal(redemption)
    return AtCounter(
        redemption=redemption,
        goods=await session.get(ShopGoods, redemption.goods_id),
        household=await session.get(Household, redemption.household_id),
        refusal=refused.detail if refused is not None else None,
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

"""A redemption once it is written: fulfilment at the counter exactly once, and cancellation or
expiry that gives the points and stock back (a reversal entry, an UPDATE of the stock)."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.models.base import id_of
from app.models.points import LedgerEntry, SourceType
from app.models.shop import (
    RedemptionStatus,
    ShopGoods,
    ShopRedemption,
)
from app.services import audit
from app.services.identity import Principal, caller_person, covers, location_of
from app.services.kit import Page, keyset_page
from app.services.points import ledger
from app.services.shop.common import (
    COUNTER_ROLES,
    OPEN,
    RedemptionNotFound,
)
from app.services.warnings import flags


class CodeNotFound(NotFound):
    code = "shop.code_not_found"
    detail = "兑换码不存在，请核对后再试。"


class Expired(Conflict):
    code = "shop.expired"
    detail = "该兑换已过期，积分将自动退回。"


class WrongVillage(Forbidden):
    code = "shop.wrong_village"
    detail = "该兑换码不是本村积分超市的，不能在这里领取。"


async def _give_back(
    session: AsyncSession,
    redemption: ShopRedemption,
    *,
    status: RedemptionStatus,
    actor: Principal | None,
    reason: str,
) -> None:
    """Stock back by an UPDATE, points back through a reversal entry, the redemption closed:
    the goods' row is locked before the account's, in the redemption writer's order."""
    entry = await session.get(LedgerEntry, redemption.entry_id) if redemption.entry_id else None
    assert entry is not None
    await session.execute(
        update(ShopGoods)
        .where(col(ShopGoods.id) == redemption.goods_id)
        .values(stock=ShopGoods.stock + redemption.quantity)
    )
    refund = await ledger.reverse(
        session,
        entry=entry,
        actor=actor,
        reason=reason,
        source_type=SourceType.redemption,
        source_id=str(redemption.id),
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


def not_open(redemption: ShopRedemption) -> Conflict:
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
        raise not_open(redemption)
    await _give_back(
        session, redemption, status=RedemptionStatus.cancelled, actor=principal, reason="取消兑换"
    )
    return redemption


async def at_counter(
    session: AsyncSession, *, principal: Principal, code: str, lock: bool
) -> ShopRedemption:
    """The redemption a code names, at a counter the caller keeps."""
    found = (
        await session.exec(select(ShopRedemption.id).where(col(ShopRedemption.code) == code))
    ).first()
    redemption = (
        await session.get(ShopRedemption, found, with_for_update=lock or None)
        if found is not None
        else None
    )
    if redemption is None:
        raise CodeNotFound()
    if not covers(principal, location_of(redemption), COUNTER_ROLES):
        raise WrongVillage()
    return redemption


def refusal(redemption: ShopRedemption) -> Conflict | None:
    """Why the counter must not hand it over now, or None when it may."""
    if redemption.status == OPEN and redemption.expires_at < utcnow():
        # The expiry job gives the points and stock back; the counter must not hand it over.
        return Expired()
    return not_open(redemption) if redemption.status != OPEN else None


async def fulfil(session: AsyncSession, *, principal: Principal, code: str) -> ShopRedemption:
    redemption = await at_counter(session, principal=principal, code=code, lock=True)
    refused = refusal(redemption)
    if refused is not None:
        raise refused
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
    await flags.fulfilled(session, redemption=redemption, keeper=principal)
    return redemption


async def due(session: AsyncSession, *, now: datetime | None = None) -> list[int]:
    """Reservations not collected in time, to be given back one by one."""
    found = await session.exec(
        select(ShopRedemption.id)
        .where(
            col(ShopRedemption.status) == OPEN, col(ShopRedemption.expires_at) < (now or utcnow())
        )
        .order_by(col(ShopRedemption.id))
    )
    return [i for i in found.all() if i is not None]


async def expire_one(session: AsyncSession, redemption_id: int) -> int:
    """Gives one reservation's points and stock back (1), or nothing when it was collected or
    cancelled meanwhile (0). The job gives each its own transaction: many in one would hold
    several goods and accounts at once and could deadlock with a till's group."""
    redemption = await _locked(session, redemption_id)
    if redemption is None or redemption.status != OPEN:
        return 0
    await _give_back(
        session, redemption, status=RedemptionStatus.expired, actor=None, reason="兑换过期"
    )
    return 1


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

"""The shop's money: each year's allocation from the village's collective income, what the
restocking spent of it and what is left, against the town's minimum (the plan: 每年从集体经济
收益中拿出不少于x万元)."""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import CHINA
from app.models.base import id_of
from app.models.roster import Town, Village
from app.models.shop import FundCreate, FundYear, ShopFund, ShopRestock
from app.services import audit
from app.services.identity import Principal, covers, location_of, own_village
from app.services.roster import VillageNotFound, get_in_scope
from app.services.shop.common import REPORT_ROLES


async def allocate(session: AsyncSession, *, principal: Principal, data: FundCreate) -> ShopFund:
    village = await get_in_scope(
        session,
        principal=principal,
        model=Village,
        row_id=data.village_id or own_village(principal),
    )
    fund = ShopFund(
        town_id=village.town_id,
        village_id=id_of(village),
        year=data.year,
        allocated_fen=data.allocated_fen,
        source=data.source,
        person_id=principal.person_id,
    )
    await audit.record_created(
        session, actor=principal, row=fund, target_type="shop_fund", where=location_of(village)
    )
    return fund


async def year_of(session: AsyncSession, village: Village, year: int) -> FundYear:
    start = datetime(year, 1, 1, tzinfo=CHINA)
    end = datetime(year + 1, 1, 1, tzinfo=CHINA)
    allocated = (
        await session.exec(
            select(func.coalesce(func.sum(ShopFund.allocated_fen), 0)).where(
                col(ShopFund.village_id) == village.id, col(ShopFund.year) == year
            )
        )
    ).one()
    spent = (
        await session.exec(
            select(func.coalesce(func.sum(ShopRestock.cost_fen), 0)).where(
                col(ShopRestock.village_id) == village.id,
                col(ShopRestock.created_at) >= start,
                col(ShopRestock.created_at) < end,
            )
        )
    ).one()
    town = await session.get(Town, village.town_id)
    minimum = town.shop_fund_min_fen if town else 0
    return FundYear(
        village_id=id_of(village),
        year=year,
        allocated_fen=int(allocated),
        spent_fen=int(spent),
        left_fen=int(allocated) - int(spent),
        minimum_fen=minimum,
        below_minimum=minimum > 0 and int(allocated) < minimum,
    )


async def fund_year(
    session: AsyncSession, *, principal: Principal, village_id: int | None, year: int
) -> FundYear:
    wanted = village_id or own_village(principal)
    village = await session.get(Village, wanted)
    if village is None or not covers(principal, location_of(village), REPORT_ROLES):
        raise VillageNotFound()
    return await year_of(session, village, year)


async def below_minimum(
    session: AsyncSession, villages: list[Village], year: int
) -> list[FundYear]:
    """The villages whose allocation this year is under their town's minimum (dashboard)."""
    short = []
    for village in villages:
        found = await year_of(session, village, year)
        if found.below_minimum:
            short.append(found)
    return short

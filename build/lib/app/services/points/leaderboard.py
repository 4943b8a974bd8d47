"""Leaderboards per village or town by month, year or all time, read from the period totals.

A town can switch them off: government apps are told not to force rankings on people.
"""

from typing import Any, Literal

from sqlalchemy import and_, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import Forbidden, NotFound, Unprocessable
from app.models.points import (
    Leaderboard,
    LeaderboardRow,
    Ledger,
    OwnerType,
    PointsAccount,
    PointsTotal,
)
from app.models.roster import Household, Person, Town, Village
from app.services.identity import Location, Principal, caller_person, covers, location_of
from app.services.roster import VillageNotFound


class LeaderboardNotFound(NotFound):
    code = "points.leaderboard_not_found"
    detail = "找不到该排行榜。"


class LeaderboardScope(Unprocessable):
    code = "points.leaderboard_scope"
    detail = "请指定 village_id 或 town_id。"


Period = Literal["year", "month", "all"]


class RankingsDisabled(Forbidden):
    code = "points.rankings_disabled"
    detail = "本镇已关闭积分排行榜。"


def period_key(period: Period) -> str:
    now = to_china(utcnow())
    return {"year": f"Y{now.year}", "month": f"M{now.year}-{now.month:02d}", "all": "all"}[period]


async def _may_see(session: AsyncSession, principal: Principal, where: Location) -> bool:
    if covers(principal, where):
        return True
    person = await caller_person(session, principal)
    if person is None:
        return False
    if where.village_id is not None:
        return person.village_id == where.village_id
    return person.town_id == where.town_id


async def leaderboard(
    session: AsyncSession,
    *,
    principal: Principal,
    book: Ledger,
    period: Period,
    village_id: int | None,
    town_id: int | None,
    limit: int,
) -> Leaderboard:
    if village_id is not None:
        village = await session.get(Village, village_id)
        if village is None:
            raise VillageNotFound()
        where = location_of(village)
    elif town_id is not None:
        where = Location(town_id=town_id)
    else:
        raise LeaderboardScope()
    town = await session.get(Town, where.town_id)
    if town is None or not await _may_see(session, principal, where):
        raise LeaderboardNotFound()
    if not town.rankings_enabled:
        raise RankingsDisabled()
    key = period_key(period)
    area = (
        col(PointsTotal.village_id) == village_id
        if village_id is not None
        else col(PointsTotal.town_id) == where.town_id
    )
    stmt: Any = (
        select(  # type: ignore[call-overload]
            PointsTotal.account_id,
            PointsTotal.earned,
            PointsAccount.owner_type,
            PointsAccount.owner_id,
            func.coalesce(Household.head_name, Person.name),
        )
        .join(PointsAccount, col(PointsAccount.id) == PointsTotal.account_id)
        .outerjoin(
            Household,
            and_(
                col(PointsAccount.owner_type) == OwnerType.household,
                col(Household.id) == PointsAccount.owner_id,
            ),
        )
        .outerjoin(
            Person,
            and_(
                col(PointsAccount.owner_type) == OwnerType.person,
                col(Person.id) == PointsAccount.owner_id,
            ),
        )
        .where(col(PointsTotal.ledger) == book, col(PointsTotal.period) == key, area)
        .order_by(col(PointsTotal.earned).desc(), col(PointsTotal.account_id).desc())
        .limit(limit)
    )
    items: list[LeaderboardRow] = []
    for position, (account_id, earned, owner_type, owner_id, name) in enumerate(
        (await session.execute(stmt)).all(), start=1
    ):
        # Equal points share a rank (1, 2, 2, 4).
        rank = items[-1].rank if items and items[-1].points == earned else position
        items.append(
            LeaderboardRow(
                rank=rank,
                account_id=account_id,
                owner_type=OwnerType(owner_type),
                owner_id=owner_id,
                name=name or "",
                points=earned,
            )
        )
    return Leaderboard(
        ledger=book, period=key, village_id=village_id, town_id=where.town_id, items=items
    )

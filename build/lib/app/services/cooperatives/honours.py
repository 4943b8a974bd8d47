"""Yearly honours (表彰): a title for a person or a household, or a collective (a branch, a grid,
a villager group, a village), published on the feed as a commendation in the name of the
village or town, and the honour roll per village and year."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.cooperatives import Honour, HonourCreate
from app.models.feed import Category, PostCreate
from app.models.roster import Branch, Grid, Household, Person, Village, VillagerGroup
from app.services import audit, feed
from app.services.identity import (
    Location,
    Principal,
    caller_person,
    covers,
    home_towns,
    location_of,
)
from app.services.kit import Page, WechatGateway, keyset_page


class HonouredNotFound(NotFound):
    code = "honour.not_found"
    detail = "找不到要表彰的人或家庭，或不在您的管辖范围内。"


async def _honoured(
    session: AsyncSession, data: HonourCreate
) -> tuple[str, Location, int | None] | None:
    """Who or what is honoured: its name, where it sits, and its village (None: not found)."""
    row: Any
    for model, row_id in (
        (Person, data.person_id),
        (Household, data.household_id),
        (Branch, data.branch_id),
        (Grid, data.grid_id),
        (VillagerGroup, data.villager_group_id),
    ):
        if row_id is None:
            continue
        row = await session.get(model, row_id)
        if row is None or row.town_id is None:
            return None
        village = await session.get(Village, row.village_id) if row.village_id else None
        match row:
            case Household():
                name = f"{row.head_name}家庭"
            case VillagerGroup():
                name = f"{village.name if village else ''}{row.name}"
            case _:
                name = row.name
        return name, location_of(row), row.village_id
    village = await session.get(Village, data.village_id) if data.village_id else None
    if village is None:
        return None
    return village.name, location_of(village), village.id


async def confer(
    session: AsyncSession, *, principal: Principal, data: HonourCreate, wechat: WechatGateway
) -> Honour:
    honoured = await _honoured(session, data)
    # The honoured must be someone (or something) the caller administers, and of the village
    # named: with an id from elsewhere the caller would put a stranger's name on their feed.
    if honoured is None or not covers(principal, honoured[1]):
        raise HonouredNotFound()
    name, place, own_village = honoured
    village_id = data.village_id or own_village
    if own_village is not None and village_id != own_village:
        raise HonouredNotFound()
    where = Location(town_id=place.town_id, village_id=village_id)
    if not covers(principal, where):
        raise HonouredNotFound()
    if village_id is not None:
        village = await session.get(Village, village_id)
        if village is None or village.town_id != place.town_id:
            raise HonouredNotFound()
    post = await feed.posts.create_post(
        session,
        principal=principal,
        wechat=wechat,
        data=PostCreate(
            title=f"{data.year}年度“{data.title}”：{name}"[:100],
            body=data.citation,
            category=Category.commendation,
            village_id=village_id,
        ),
        on_behalf=where,
    )
    assert place.town_id is not None
    honour = Honour(
        town_id=place.town_id,
        village_id=village_id,
        year=data.year,
        title=data.title,
        person_id=data.person_id,
        household_id=data.household_id,
        branch_id=data.branch_id,
        grid_id=data.grid_id,
        villager_group_id=data.villager_group_id,
        honoured_name=name[:100],
        citation=data.citation,
        post_id=post.id,
    )
    await audit.record_created(
        session, actor=principal, row=honour, target_type="honour", where=where
    )
    return honour


async def roll(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None,
    year: int | None,
    limit: int,
    cursor: str | None,
) -> Page[Honour]:
    """The honour roll of a village (the caller's own by default), newest year first."""
    if village_id is None:
        person = await caller_person(session, principal)
        village_id = person.village_id if person else None
    stmt: Any = select(Honour).where(col(Honour.village_id) == village_id)
    towns = await home_towns(session, principal)
    if towns is not None:  # the roll is public within the town, not across towns
        stmt = stmt.where(col(Honour.town_id).in_(towns))
    if year is not None:
        stmt = stmt.where(col(Honour.year) == year)
    return await keyset_page(
        session,
        stmt,
        order_by=[col(Honour.year), col(Honour.id)],
        limit=limit,
        cursor=cursor,
        descending=True,
    )

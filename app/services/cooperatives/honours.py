"""Yearly honours (表彰): a title for a person or a household, published on the feed as a
commendation, and the honour roll per village and year."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.cooperatives import Honour, HonourCreate
from app.models.feed import Category, PostCreate
from app.models.roster import Household, Person, Village
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


async def confer(
    session: AsyncSession, *, principal: Principal, data: HonourCreate, wechat: WechatGateway
) -> Honour:
    honoured: Person | Household | None = (
        await session.get(Person, data.person_id)
        if data.person_id is not None
        else await session.get(Household, data.household_id)
    )
    # The honoured must be someone the caller administers, and of the village named: with an
    # id from elsewhere the caller would put a stranger's name on their own feed.
    if honoured is None or honoured.town_id is None or not covers(principal, location_of(honoured)):
        raise HonouredNotFound()
    village_id = data.village_id or honoured.village_id
    if honoured.village_id is not None and village_id != honoured.village_id:
        raise HonouredNotFound()
    where = Location(town_id=honoured.town_id, village_id=village_id)
    if not covers(principal, where):
        raise HonouredNotFound()
    if village_id is not None:
        village = await session.get(Village, village_id)
        if village is None or village.town_id != honoured.town_id:
            raise HonouredNotFound()
    name = honoured.name if isinstance(honoured, Person) else f"{honoured.head_name}家庭"
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
    honour = Honour(
        town_id=honoured.town_id,
        village_id=village_id,
        year=data.year,
        title=data.title,
        person_id=data.person_id,
        household_id=data.household_id,
        honoured_name=name,
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

"""Goods: putting them on the shelf, changing them, restocking with the cost, listing."""

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Unprocessable
from app.models.media import Media
from app.models.roster import Village
from app.models.shop import (
    GoodsCreate,
    GoodsPublic,
    GoodsUpdate,
    Restock,
    ShopGoods,
    ShopRestock,
)
from app.services import audit
from app.services.identity import (
    Principal,
    caller_person,
    covers,
    location_of,
    own_village,
    scope_clause,
)
from app.services.kit import Page, Storage, address, keyset_page
from app.services.roster import VillageNotFound
from app.services.shop.common import COUNTER_ROLES, GoodsNotFound


class MediaInvalid(Unprocessable):
    code = "shop.media_invalid"
    detail = "只能使用自己上传的照片。"


async def _check_photo(session: AsyncSession, principal: Principal, media_id: int | None) -> None:
    if media_id is None:
        return
    media = await session.get(Media, media_id)
    if media is None or media.uploader_account_id != principal.account_id:
        raise MediaInvalid()


async def create_goods(
    session: AsyncSession, *, principal: Principal, data: GoodsCreate
) -> ShopGoods:
    village_id = data.village_id or own_village(principal)
    village = await session.get(Village, village_id)
    if village is None or not covers(principal, location_of(village)):
        raise VillageNotFound()
    await _check_photo(session, principal, data.media_id)
    goods = ShopGoods(
        town_id=village.town_id, **data.model_dump(exclude={"village_id"}), village_id=village_id
    )
    await audit.record_created(
        session, actor=principal, row=goods, target_type="shop_goods", where=location_of(village)
    )
    return goods


async def managed_goods(
    session: AsyncSession, *, principal: Principal, goods_id: int, lock: bool = False
) -> ShopGoods:
    goods = await session.get(ShopGoods, goods_id, with_for_update=lock or None)
    if goods is None or not covers(principal, location_of(goods)):
        raise GoodsNotFound()
    return goods


async def update_goods(
    session: AsyncSession, *, principal: Principal, goods_id: int, data: GoodsUpdate
) -> ShopGoods:
    goods = await managed_goods(session, principal=principal, goods_id=goods_id, lock=True)
    changes = data.model_dump(exclude_unset=True)
    await _check_photo(session, principal, changes.get("media_id"))
    # null clears the limit or the photo; for the rest it means "leave as is".
    kept = {k: v for k, v in changes.items() if v is not None or k in ("monthly_limit", "media_id")}
    await audit.record_updated(
        session,
        actor=principal,
        row=goods,
        changes=kept,
        target_type="shop_goods",
        where=location_of,
    )
    return goods


async def restock(
    session: AsyncSession, *, principal: Principal, goods_id: int, data: Restock
) -> ShopGoods:
    goods = await managed_goods(session, principal=principal, goods_id=goods_id)
    await session.execute(
        update(ShopGoods)
        .where(col(ShopGoods.id) == goods_id)
        .values(stock=ShopGoods.stock + data.quantity)
    )
    cost_fen = int((data.cost_yuan * 100).to_integral_value())
    row = ShopRestock(
        goods_id=goods_id,
        village_id=goods.village_id,
        quantity=data.quantity,
        cost_fen=cost_fen,
        note=data.note,
        person_id=principal.person_id,
    )
    await audit.record_created(
        session, actor=principal, row=row, target_type="shop_restock", where=location_of(goods)
    )
    await session.refresh(goods)
    return goods


async def list_goods(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[ShopGoods]:
    """Villagers see their village's goods on the shelf; admins and keepers all they cover."""
    person = await caller_person(session, principal)
    own: Any = col(ShopGoods.id).is_(None)
    if person is not None and person.village_id is not None:
        own = (col(ShopGoods.village_id) == person.village_id) & col(ShopGoods.on_shelf)
    stmt: Any = select(ShopGoods).where(own | scope_clause(principal, ShopGoods, COUNTER_ROLES))
    if village_id is not None:
        stmt = stmt.where(col(ShopGoods.village_id) == village_id)
    return await keyset_page(
        session, stmt, order_by=[col(ShopGoods.id)], limit=limit, cursor=cursor
    )


async def present(
    session: AsyncSession, goods: list[ShopGoods], storage: Storage
) -> list[GoodsPublic]:
    """Goods with their photo's link."""
    photo_ids = [g.media_id for g in goods if g.media_id]
    photos = (
        {
            m.id: m
            for m in (await session.exec(select(Media).where(col(Media.id).in_(photo_ids)))).all()
        }
        if photo_ids
        else {}
    )
    return [
        GoodsPublic.model_validate(g).model_copy(
            update={
                "photo_url": address(storage, photos[g.media_id].display_key)
                if g.media_id in photos
                else None
            }
        )
        for g in goods
    ]

"""What ringing up a redemption writes, alone or in a group: its row under a fresh code, the
household's spend, its audit entry, the household's inbox note, and the stock taken."""

import secrets
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.db import rows
from app.models.base import id_of
from app.models.notifications import NotificationKind
from app.models.points import SourceType
from app.models.shop import ShopGoods, ShopRedemption
from app.services import audit
from app.services.identity import location_of
from app.services.notifications import Note
from app.services.points import ledger
from app.services.shop.common import OPEN
from app.services.shop.orders import CodeBusy, Order

CODE_TRIES = 8


def values(order: Order, goods: ShopGoods, town_id: int, now: Any) -> dict[str, Any]:
    return {
        "goods_id": id_of(goods),
        "town_id": town_id,
        "village_id": goods.village_id,
        "household_id": order.household_id,
        "person_id": order.person_id,
        "quantity": order.quantity,
        "points": goods.points * order.quantity,
        "status": OPEN,
        "expires_at": order.expires_at,
        "created_at": now,
    }


def new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


async def with_code(session: AsyncSession, values: dict[str, Any]) -> ShopRedemption:
    """Saves a redemption under a fresh 8-digit code, trying again on the rare clash (ON
    CONFLICT DO NOTHING on the code: the clash does not spoil the transaction)."""
    for _ in range(CODE_TRIES):
        redemption = ShopRedemption(code=new_code(), **values)
        if await rows.insert_row(session, redemption, skip_conflict=True):
            return redemption
    raise CodeBusy()


async def with_codes(session: AsyncSession, values: list[dict[str, Any]]) -> list[int]:
    """Saves the group's redemptions (one statement), each under a fresh code; those whose
    code clashed try again with another. Each ``values`` gets its code; returns the ids."""
    conn = await rows.connection(session)
    ids: list[int | None] = [None] * len(values)
    waiting = list(range(len(values)))
    for _ in range(CODE_TRIES):
        codes: set[str] = set()
        for i in waiting:
            while (code := new_code()) in codes:
                pass  # two of one group never share a code
            codes.add(code)
            values[i]["code"] = code
        written = await rows.insert_new_many(
            conn, ShopRedemption, [values[i] for i in waiting], returning=("id", "code")
        )
        saved = {code: row_id for row_id, code in written}
        for i in waiting:
            ids[i] = saved.get(values[i]["code"])
        waiting = [i for i in waiting if ids[i] is None]
        if not waiting:
            return [row_id for row_id in ids if row_id is not None]
    raise CodeBusy()


def spend(order: Order, goods: ShopGoods, redemption_id: int) -> ledger.Posting:
    return ledger.Posting(
        title=f"兑换：{goods.name}",
        points_each=-goods.points,
        quantity=order.quantity,
        source_type=SourceType.redemption,
        source_id=str(redemption_id),
        allow_overdraft=False,
    )


def trail(order: Order, redemption: ShopRedemption) -> dict[str, Any]:
    return audit.values(
        actor=order.principal,
        action="shop.redeem",
        target_type="shop_redemption",
        target_id=id_of(redemption),
        where=location_of(redemption),
        after={
            "goods_id": redemption.goods_id,
            "quantity": redemption.quantity,
            "points": redemption.points,
        },
        request_id=order.request_id,
    )


def note(goods: ShopGoods, redemption: ShopRedemption) -> Note:
    return Note(
        NotificationKind.redemption_ready,
        ("shop_redemption", id_of(redemption)),
        "兑换成功，请到积分超市领取",
        f"{goods.name} × {redemption.quantity}，兑换码 {redemption.code}，"
        f"请于 {to_china(redemption.expires_at):%m月%d日} 前领取。",
        {
            "name": goods.name,
            "code": redemption.code,
            "points": str(redemption.points),
            "time": redemption.expires_at,
            "note": f"兑换码 {redemption.code}",
        },
    )


async def take_stock(session: AsyncSession, goods_id: int, quantity: int) -> bool:
    taken = await session.execute(
        update(ShopGoods)
        .where(
            col(ShopGoods.id) == goods_id,
            col(ShopGoods.stock) >= quantity,
            col(ShopGoods.on_shelf),
        )
        .values(stock=ShopGoods.stock - quantity)
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]

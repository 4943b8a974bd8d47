"""The shop's reminders: a reservation that lapses within a day is told to its person once."""

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.base import id_of
from app.models.notifications import NotificationKind
from app.models.shop import ShopRedemption
from app.services.notifications import notify
from app.services.shop.common import OPEN


async def warn_expiring(session: AsyncSession, *, now: datetime) -> int:
    """Reservations that lapse within a day: their people told once, so the points are not
    lost by forgetting."""
    soon = (
        await session.exec(
            select(ShopRedemption).where(
                col(ShopRedemption.status) == OPEN,
                col(ShopRedemption.expires_at) > now,
                col(ShopRedemption.expires_at) <= now + timedelta(hours=24),
            )
        )
    ).all()
    told = 0
    for redemption in soon:
        if redemption.person_id is None:
            continue
        told += await notify(
            session,
            people=[redemption.person_id],
            kind=NotificationKind.redemption_expiring,
            target=("shop_redemption", id_of(redemption)),
            title="兑换即将过期",
            body=f"兑换码 {redemption.code} 将于 {to_china(redemption.expires_at):%m月%d日 %H:%M}"
            " 过期，过期后积分退回。",
            values={
                "code": redemption.code,
                "time": redemption.expires_at,
                "note": "过期后积分自动退回",
            },
        )
    return told

"""The points shop: goods and restocking; redemptions that take points and stock at once,
fulfilment at the counter exactly once, cancellation and expiry that give both back."""

from app.services.shop import funds, reports
from app.services.shop.common import COUNTER_ROLES, GoodsNotFound, RedemptionNotFound, yuan
from app.services.shop.counter import AtCounter, counter_village, look_up
from app.services.shop.goods import (
    create_goods,
    list_goods,
    managed_goods,
    present,
    restock,
    update_goods,
)
from app.services.shop.redemption_writer import RedemptionWriter, redeem
from app.services.shop.redemptions import (
    cancel,
    due,
    expire_one,
    fulfil,
    my_redemptions,
    readable_redemption,
)
from app.services.shop.reminders import warn_expiring

__all__ = [
    "COUNTER_ROLES",
    "AtCounter",
    "GoodsNotFound",
    "RedemptionNotFound",
    "RedemptionWriter",
    "cancel",
    "counter_village",
    "create_goods",
    "due",
    "expire_one",
    "fulfil",
    "funds",
    "list_goods",
    "look_up",
    "managed_goods",
    "my_redemptions",
    "present",
    "readable_redemption",
    "redeem",
    "reports",
    "restock",
    "update_goods",
    "warn_expiring",
    "yuan",
]

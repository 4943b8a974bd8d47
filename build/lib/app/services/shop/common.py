"""What the shop modules share: who may work the counter, errors, locations, money."""

from decimal import Decimal

from app.errors import NotFound
from app.models.roster import ADMIN_ROLES, Role
from app.models.shop import (
    RedemptionStatus,
)

COUNTER_ROLES = ADMIN_ROLES | {Role.shop_keeper}
# The supervision committee (村务监督委员会) reads how the prize fund was spent.
REPORT_ROLES = COUNTER_ROLES | {Role.supervisor}
OPEN = RedemptionStatus.reserved


class GoodsNotFound(NotFound):
    code, detail = "shop.goods_not_found", "找不到该商品。"


class RedemptionNotFound(NotFound):
    code, detail = "shop.redemption_not_found", "找不到该兑换记录。"


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))

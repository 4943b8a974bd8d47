"""Adapters and helpers that know no domain: the WeChat gateway and its pushes, storage,
images, QR tokens, geo, pagination, rate limits, the personal-data scan, reading spreadsheets
and drawing the printed ones. Nothing here imports a domain package, opens a transaction of its
own or caches: that machinery is app/db/ (group commit, rows, caches, background work) and
app/idempotency/."""

from app.services.kit import (
    geo,
    images,
    paper,
    personal_data,
    printing,
    qr_tokens,
    ratelimit,
    wechat_pay,
    wechat_push,
)
from app.services.kit.geo import outside_venue, to_gcj02
from app.services.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, keyset_page
from app.services.kit.paper import Column, Paper, Sheet
from app.services.kit.qr_tokens import QrSettings
from app.services.kit.storage import (
    PRIVATE_PREFIX,
    BadKey,
    LocalStorage,
    Storage,
    address,
    create_storage,
    is_private,
    private_twin,
)
from app.services.kit.tables import Table, UnsupportedFile, read_table
from app.services.kit.wechat import SendResult, WechatGateway, create_wechat_http
from app.services.kit.wechat_pay import PayGateway, create_pay
from app.services.kit.wechat_push import PushRejected, SubscribeEvent

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PRIVATE_PREFIX",
    "BadKey",
    "Column",
    "LocalStorage",
    "Page",
    "Paper",
    "PayGateway",
    "PushRejected",
    "QrSettings",
    "SendResult",
    "Sheet",
    "Storage",
    "SubscribeEvent",
    "Table",
    "UnsupportedFile",
    "WechatGateway",
    "address",
    "create_pay",
    "create_storage",
    "create_wechat_http",
    "geo",
    "images",
    "is_private",
    "keyset_page",
    "outside_venue",
    "paper",
    "personal_data",
    "printing",
    "private_twin",
    "qr_tokens",
    "ratelimit",
    "read_table",
    "to_gcj02",
    "wechat_pay",
    "wechat_push",
]

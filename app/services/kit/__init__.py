"""Adapters that know no domain: the WeChat gateway and its pushes, storage, images, QR
tokens, geo, pagination, rate limits, the personal-data scan, the idempotency store, work in
the background, reading spreadsheets and drawing the printed ones.
Nothing here imports a domain package."""

from app.services.kit import (
    cache_versions,
    claims,
    geo,
    idempotency,
    images,
    paper,
    personal_data,
    printing,
    qr_tokens,
    ratelimit,
    row_cache,
    rows,
    wechat_push,
)
from app.services.kit.background import Background
from app.services.kit.claims import IdempotencyAnswerWriter, IdempotencyClaimWriter
from app.services.kit.geo import outside_venue, to_gcj02
from app.services.kit.group_commit import GroupCommit
from app.services.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, keyset_page
from app.services.kit.paper import Column, Paper, Sheet
from app.services.kit.qr_tokens import QrSettings
from app.services.kit.storage import (
    PRIVATE_PREFIX,
    BadKey,
    LocalStorage,
    Storage,
    create_storage,
    is_private,
)
from app.services.kit.tables import Table, UnsupportedFile, read_table
from app.services.kit.wechat import SendResult, WechatGateway, create_wechat_http
from app.services.kit.wechat_push import PushRejected, SubscribeEvent

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PRIVATE_PREFIX",
    "Background",
    "BadKey",
    "Column",
    "GroupCommit",
    "IdempotencyAnswerWriter",
    "IdempotencyClaimWriter",
    "LocalStorage",
    "Page",
    "Paper",
    "PushRejected",
    "QrSettings",
    "SendResult",
    "Sheet",
    "Storage",
    "SubscribeEvent",
    "Table",
    "UnsupportedFile",
    "WechatGateway",
    "cache_versions",
    "claims",
    "create_storage",
    "create_wechat_http",
    "geo",
    "idempotency",
    "images",
    "is_private",
    "keyset_page",
    "outside_venue",
    "paper",
    "personal_data",
    "printing",
    "qr_tokens",
    "ratelimit",
    "read_table",
    "row_cache",
    "rows",
    "to_gcj02",
    "wechat_push",
]

"""Keyset pagination: opaque cursors that stay stable while new rows arrive."""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Unprocessable

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class InvalidCursor(Unprocessable):
    code = "pagination.invalid_cursor"
    detail = "翻页参数无效，请从第一页重新加载。"


def _encode_value(value: Any) -> Any:
    return {"dt": value.isoformat()} if isinstance(value, datetime) else value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.fromisoformat(value["dt"])
    if isinstance(value, int | str) and not isinstance(value, bool):
        return value
    raise ValueError("bad cursor value")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("bad cursor shape")
        return [_decode_value(v) for v in values]
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    order_by: Sequence[Any],
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> Page[Any]:
    """One page of ``stmt`` ordered by ``order_by`` (unique as a whole, e.g. ending with ``id``)."""
    if cursor:
        after = decode_cursor(cursor, len(order_by))
        key = tuple_(*order_by)
        stmt = stmt.where(key < tuple_(*after) if descending else key > tuple_(*after))
    ordering = [c.desc() for c in order_by] if descending else list(order_by)
    rows = list((await session.execute(stmt.order_by(*ordering).limit(limit + 1))).scalars())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, c.key) for c in order_by])
    return Page(items=rows, next_cursor=next_cursor)

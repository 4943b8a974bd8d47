"""What every router shares: id parameters that the database can hold, and list answers."""

import io
from typing import Annotated, Any, TypeVar

import segno
from fastapi import Path, Query, Response
from pydantic import BaseModel

from app.models.base import MAX_DB_INT, MONTH_PATTERN
from app.services.pagination import Page

T = TypeVar("T")

Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]
OptionalMonth = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]

RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


def created_or_found(response: Response, answer: tuple[T, bool]) -> T:
    """201 for a row this call made, 200 for the one an earlier call made (the contract's rule
    for naturally unique writes)."""
    row, created = answer
    if not created:
        response.status_code = 200
    return row


def qr_image(text: str, kind: str) -> bytes:
    """A QR code of ``text`` as PNG or SVG (segno), sized for a screen or a print-out."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind=kind, scale=10, border=2)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def page_answer(page: Page[Any], schema: type[BaseModel]) -> dict[str, Any]:
    """A service page shaped as ``{"items": [...], "next_cursor": ...}``."""
    return {
        "items": [schema.model_validate(row) for row in page.items],
        "next_cursor": page.next_cursor,
    }

"""What every router shares: id parameters that the database can hold, and list answers."""

import io
from typing import Annotated, Any

import segno
from fastapi import Path, Query
from pydantic import BaseModel

from app.models.base import MAX_DB_INT
from app.services.pagination import Page

RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


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

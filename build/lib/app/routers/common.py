"""What every router shares: id parameters that the database can hold, and list answers."""

import io
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import segno
from fastapi import Path, Query, Response
from pydantic import BaseModel

from app import idempotency
from app.models.base import MAX_DB_INT, MONTH_PATTERN
from app.models.events import QrToken
from app.services.kit import Page, Paper

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


def json_answer(model: type[BaseModel], row: Any, status: int) -> idempotency.Answer:
    """A row as the route answers it (and as its Idempotency-Key replays it)."""
    body = model.model_validate(row).model_dump_json(by_alias=True).encode()
    return idempotency.Answer(status, {"content-type": "application/json"}, body)


def kept_with_write(
    pending: idempotency.Pending | None, shape: Callable[[Any], idempotency.Answer]
) -> idempotency.Receipt | None:
    """For a write committed outside the request (group commit): its answer, under the
    request's Idempotency-Key, is stored in the same commit."""
    return idempotency.Receipt(pending, shape) if pending is not None else None


def sent(answer: idempotency.Answer) -> Response:
    return Response(answer.body, status_code=answer.status, media_type="application/json")


def spreadsheet(paper: Paper) -> Response:
    """A report as an xlsx download; its Chinese name travels as RFC 5987 ``filename*`` (which
    WeChat, Excel and every browser read), with an ASCII name for anything older."""
    disposition = (
        f'attachment; filename="{paper.ascii_name}.xlsx"; '
        f"filename*=UTF-8''{quote(paper.name + '.xlsx')}"
    )
    # Exports are personal data (names, phones, points): never kept by a cache.
    headers = {"Content-Disposition": disposition, "Cache-Control": "no-store"}
    return Response(paper.data, media_type=XLSX, headers=headers)


def printable(data: bytes, *, pdf: bool, name: str, ascii_name: str) -> Response:
    """A printable page as PNG or PDF, shown inline (the console opens it to print), redrawn on
    each request since a title or a roster may have been corrected since."""
    suffix = "pdf" if pdf else "png"
    disposition = (
        f"inline; filename=\"{ascii_name}.{suffix}\"; filename*=UTF-8''{quote(f'{name}.{suffix}')}"
    )
    return Response(
        data,
        media_type="application/pdf" if pdf else "image/png",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def rotating_code(token: str, expires: datetime, rotate_seconds: int, format: str) -> Any:
    """A rotating QR code as JSON, PNG or SVG; screens poll it, so images are never cached."""
    if format == "json":
        return QrToken(token=token, expires_at=expires, rotate_seconds=rotate_seconds)
    media_type = "image/png" if format == "png" else "image/svg+xml"
    return Response(
        qr_image(token, format), media_type=media_type, headers={"Cache-Control": "no-store"}
    )


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

"""花名册 files for tests, made the way Excel saves them."""

import io
from typing import Any

from openpyxl import Workbook

from app.services.roster.import_rows import COLUMNS


def roster_xlsx(rows: list[list[Any]], *, title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

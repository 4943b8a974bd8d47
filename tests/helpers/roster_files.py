"""花名册 files for tests, made the way Excel saves them."""

import io
from typing import Any

import xlwt
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


def roster_xls(rows: list[list[Any]]) -> bytes:
    """The old binary .xls that many village offices' Excel 2003 still saves."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("花名册")
    for column, header in enumerate(COLUMNS):
        sheet.write(0, column, header)
    for index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            sheet.write(index, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

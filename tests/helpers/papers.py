"""Reads a downloaded report back as the secretary's Excel would, and checks it is a paper that
prints: a Chinese file name, the title row, the frozen header row repeated on every page, A4
fitted to the width, a print area covering the table, and (unless it is a template) the
signature line."""

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet


@dataclass
class PaperView:
    file_name: str
    title: str
    lines: list[str]
    headers: list[str]
    rows: list[list[Any]]
    sheet: Worksheet
    book: Any

    def column(self, header: str) -> list[Any]:
        index = self.headers.index(header)
        return [row[index] for row in self.rows]

    def sheet_named(self, name: str) -> "PaperView":
        return _view(self.book[name], self.file_name, self.book, signed=True)


def _view(sheet: Worksheet, file_name: str, book: Any, *, signed: bool) -> "PaperView":
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert sheet.freeze_panes is not None, "the header row must be frozen"
    header_row = int(sheet.freeze_panes[1:]) - 1
    repeated = (sheet.print_title_rows or "").replace("$", "")
    assert repeated == f"{header_row}:{header_row}", "the headers repeat on every printed page"
    assert int(sheet.page_setup.paperSize or 0) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    area = sheet.print_area
    assert area is not None and area.endswith(f"${sheet.max_row}"), area
    title = values[0][0]
    assert isinstance(title, str) and title, "the title row"
    assert "A1" in {str(r).split(":")[0] for r in sheet.merged_cells.ranges}
    lines = [row[0] for row in values[1 : header_row - 1]]
    headers = [h for h in values[header_row - 1] if h is not None]
    body = values[header_row:]
    if signed:
        assert str(body[-1][0]).startswith("制表人："), body[-1]
        assert "审核人" in body[-1][0] and "日期" in body[-1][0]
        body = body[:-2]
    return PaperView(file_name, title, lines, headers, body, sheet, book)


def read_paper(response: httpx.Response, *, signed: bool = True) -> PaperView:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition
    file_name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert file_name.endswith(".xlsx") and not file_name.isascii(), file_name
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    return _view(sheet, file_name, book, signed=signed)


def pdf_pages(data: bytes) -> int:
    """Pages as a PDF reader counts them: the last page tree's /Count (a PDF written a page at a
    time carries each earlier tree as an incremental update)."""
    import re

    counts = re.findall(rb"/Type /Pages\s*/Count (\d+)", data)
    assert counts, "no page tree"
    return int(counts[-1])

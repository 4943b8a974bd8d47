"""Rows of a spreadsheet a village office has: xlsx or xls (python-calamine reads both), or csv
saved by Excel on a Chinese Windows (GBK) or anywhere else (UTF-8, with or without BOM)."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from python_calamine import CalamineWorkbook

from app.errors import AppError


class UnsupportedFile(AppError):
    status, title, code = 415, "Unsupported Media Type", "roster.unsupported_file"
    detail = "请上传 Excel（xlsx、xls）或 csv 文件。"


@dataclass(frozen=True, slots=True)
class Table:
    rows: list[list[str]]  # every non-empty-tailed row of the first sheet, as text


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps phone numbers as 13800000001.0
    if value is None:
        return ""
    return str(value).strip()


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedFile("csv 文件的编码无法识别，请另存为 UTF-8 或 GBK。")


def read_table(file_name: str, data: bytes) -> Table:
    name = file_name.lower()
    grid: Sequence[Sequence[object]]
    if name.endswith(".csv"):
        grid = list(csv.reader(io.StringIO(_decode_csv(data))))
    elif name.endswith((".xlsx", ".xls", ".xlsm")):
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            grid = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as error:  # the reader's many errors all mean "not this kind of file"
            raise UnsupportedFile("文件打不开，请确认是 Excel 文件且没有损坏。") from error
    else:
        raise UnsupportedFile()
    cells = [[_text(value) for value in row] for row in grid]
    while cells and not any(cells[-1]):
        cells.pop()
    if not cells:
        raise UnsupportedFile("文件是空的。")
    return Table(rows=cells)

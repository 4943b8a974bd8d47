"""The child process that reads an uploaded spreadsheet (run as a script by ``tables``).

A native parser given a hostile file can ask for hundreds of gigabytes and abort, or spin for
minutes. Here it may: this process caps its own memory and CPU before it reads a byte, checks
what the file declares and what it really holds (zip entries, their unpacked sizes and ratios,
the sheet's largest cell reference) before any parser sees it, and answers the server with one
line of JSON on stdout: ``{"rows": [[...], ...]}`` or ``{"refused": code, "detail": text}``.
A crash is the server's answer too: whatever happens here, the server lives.

Input on stdin: one line of JSON (``name`` and the ``limits``), then the file's bytes."""

import csv
import io
import json
import re
import resource
import sys
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z0-9:]+)"')
_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_CHUNK = 1 << 16
_UNREADABLE = "文件打不开，请确认是 Excel 文件且没有损坏。"
_BAD_CSV = "csv 里有过长的单元格或格式错误，请检查后再上传。"


class Refused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def _column_number(letters: str | bytes) -> int:
    text = letters.decode() if isinstance(letters, bytes) else letters
    number = 0
    for letter in text:
        number = number * 26 + ord(letter) - 64
    return number


def _too_big(rows: int, columns: int, limits: dict[str, int]) -> None:
    if columns > limits["max_columns"]:
        raise Refused(
            "roster.too_large",
            f"表格有 {columns} 列，最多 {limits['max_columns']} 列；请只保留模板里的列。",
        )
    if rows > limits["max_rows"] + 50:  # room for a title, notes and the header
        raise Refused(
            "roster.too_large",
            f"表格有 {rows} 行，一次最多导入 {limits['max_rows']} 行；请分成几个文件。",
        )


def _check_dimension(ref: str, limits: dict[str, int]) -> None:
    corners = _REF.findall(ref)
    if corners:
        letters, digits = corners[-1]
        _too_big(int(digits), _column_number(letters), limits)


def check_xlsx(data: bytes, limits: dict[str, int]) -> None:
    """The zip's entries and the first sheet's cells, measured while streaming (never unpacked
    whole), against the limits: a zip bomb or a sheet that claims XFD1048576 stops here."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        entries = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Refused(
            "roster.unsupported_file", "文件打不开，请确认是 Excel 文件且没有损坏。"
        ) from error
    if len(entries) > 1000:
        raise Refused("roster.too_large", "文件里的部件太多，不像是花名册。")
    declared = sum(e.file_size for e in entries)
    if declared > limits["max_unpacked_bytes"]:
        raise Refused("roster.too_large", "文件解压后太大，请只保留花名册一张表后再上传。")
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1 << 20 and ratio > limits["max_ratio"]:
            raise Refused("roster.too_large", "文件的压缩比异常，已拒绝读取。")
    # Every part is scanned, not only sheet1.xml: a workbook may name its sheet anything.
    unpacked = 0
    for entry in entries:
        unpacked = _scan_part(book, entry, unpacked, limits)


def _scan_part(
    book: zipfile.ZipFile, entry: zipfile.ZipInfo, unpacked: int, limits: dict[str, int]
) -> int:
    """Streams one part, counting what it really unpacks to and the largest cell it names."""
    rows = columns = 0
    tail = b""
    with book.open(entry) as stream:
        while chunk := stream.read(_CHUNK):
            unpacked += len(chunk)
            if unpacked > limits["max_unpacked_bytes"]:
                raise Refused("roster.too_large", "文件解压后太大，请只保留花名册一张表后再上传。")
            window = tail + chunk
            for dimension in _DIMENSION.findall(window):
                _check_dimension(dimension.decode(), limits)
            for letters, digits in _CELL_REF.findall(window):
                columns = max(columns, _column_number(letters))
                rows = max(rows, int(digits))
            _too_big(rows, columns, limits)
            tail = window[-256:]  # a reference cut by the chunk's end is seen in the next
    return unpacked


def _csv_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused("roster.unsupported_file", "csv 文件的编码无法识别，请另存为 UTF-8 或 GBK。")


def _csv_rows(data: bytes, limits: dict[str, int]) -> Iterator[Sequence[object]]:
    csv.field_size_limit(limits["max_cell_chars"] * 4)
    try:
        yield from csv.reader(io.StringIO(_csv_text(data)))
    except csv.Error as error:
        raise Refused(
            "roster.too_large", "csv 里有过长的单元格或格式错误，请检查后再上传。"
        ) from error


def _sheet_rows(data: bytes, limits: dict[str, int]) -> Iterator[Sequence[object]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        _too_big(sheet.total_height, sheet.total_width, limits)
        # Leading empty rows kept, so a row's number is the one Excel shows.
        yield from sheet.to_python(skip_empty_area=False)
    except Refused:
        raise
    except Exception as error:  # the reader's many errors all mean "not this kind of file"
        raise Refused(
            "roster.unsupported_file", "文件打不开，请确认是 Excel 文件且没有损坏。"
        ) from error


def _text(value: object, limit: int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps phone numbers as 13800000001.0
    if value is None:
        return ""
    text = str(value).strip()
    if len(text) > limit:
        raise Refused("roster.too_large", f"有单元格超过 {limit} 个字，不像是花名册的内容。")
    return text


def read(name: str, data: bytes, limits: dict[str, int]) -> list[list[str]]:
    lower = name.lower()
    grid: Iterator[Sequence[object]]
    if lower.endswith(".csv"):
        grid = _csv_rows(data, limits)
    elif lower.endswith((".xlsx", ".xlsm")):
        check_xlsx(data, limits)
        grid = _sheet_rows(data, limits)
    elif lower.endswith(".xls"):
        grid = _sheet_rows(data, limits)
    else:
        raise Refused("roster.unsupported_file", "请上传 Excel（xlsx、xls）或 csv 文件。")
    rows: list[list[str]] = []
    total = 0
    for row in grid:
        if len(row) > limits["max_columns"]:
            # A csv row or a sheet's stray cell far to the right: only cells holding text count.
            filled = [i for i, v in enumerate(row) if v not in (None, "")]
            _too_big(len(rows) + 1, (filled[-1] + 1) if filled else 0, limits)
            row = row[: limits["max_columns"]]
        cells = [_text(value, limits["max_cell_chars"]) for value in row]
        total += sum(map(len, cells))
        if total > limits["max_total_chars"]:
            raise Refused("roster.too_large", "表格里的文字太多，不像是花名册；请分成几个文件。")
        rows.append(cells)
        _too_big(len(rows), 0, limits)
    return rows


def _limit_self(limits: dict[str, int]) -> None:
    memory = limits["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def main() -> None:
    header = json.loads(sys.stdin.buffer.readline())
    limits: dict[str, int] = header["limits"]
    _limit_self(limits)
    data = sys.stdin.buffer.read()
    answer: dict[str, Any]
    try:
        answer = {"rows": read(header["name"], data, limits)}
    except Refused as refused:
        answer = {"refused": refused.code, "detail": refused.detail}
    except MemoryError:
        answer = {"refused": "roster.too_large", "detail": "文件太大，读取时超出了内存限制。"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

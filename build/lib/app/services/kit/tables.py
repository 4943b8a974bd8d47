"""Rows of a spreadsheet a village office has: xlsx or xls (python-calamine reads both), or csv
saved by Excel on a Chinese Windows (GBK) or anywhere else (UTF-8, with or without BOM).

Every file is read in a child process (``table_reader``) with a memory limit, a CPU limit and a
timeout, after its declared and real size were checked there: a hostile file costs that child,
never the server or the event loop."""

import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from app.errors import AppError


class UnsupportedFile(AppError):
    status, title, code = 415, "Unsupported Media Type", "roster.unsupported_file"
    detail = "请上传 Excel（xlsx、xls）或 csv 文件。"


class TableTooLarge(AppError):
    status, title, code = 413, "Content Too Large", "roster.too_large"
    detail = "文件太大或结构异常，无法读取；请只保留花名册一张表，必要时分成几个文件。"


@dataclass(frozen=True, slots=True)
class TableLimits:
    """What a roster may hold. A town's largest village has a few thousand people; these leave
    room for a whole town in one file and nothing for a bomb."""

    max_rows: int = 20_000
    max_columns: int = 64
    max_cell_chars: int = 500
    max_total_chars: int = 8_000_000
    max_unpacked_bytes: int = 64 * 1024 * 1024
    max_ratio: int = 200  # text compresses ~10×; a zip bomb, thousands of times
    memory_bytes: int = 1024 * 1024 * 1024  # the child's whole address space
    cpu_seconds: int = 60
    wall_seconds: float = 90.0


@dataclass(frozen=True, slots=True)
class Table:
    rows: list[list[str]]  # every non-empty-tailed row of the first sheet, as text


_REFUSALS: dict[str, type[AppError]] = {
    "roster.unsupported_file": UnsupportedFile,
    "roster.too_large": TableTooLarge,
}

# Run as a script, not as a module of this package: the child imports nothing of the app.
_READER = Path(__file__).with_name("table_reader.py")
# Files are read one at a time per process: each child may take up to its memory limit.
_one_at_a_time = asyncio.Semaphore(1)


async def _run_reader(file_name: str, data: bytes, limits: TableLimits) -> bytes | None:
    """The child's answer, or None when it died or ran out of time."""
    header = json.dumps({"name": file_name, "limits": asdict(limits)}).encode() + b"\n"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",  # isolated: no environment variables, no user site, not the current folder
        str(_READER),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(child.communicate(header + data), limits.wall_seconds)
    except TimeoutError:
        child.kill()
        await child.wait()
        return None
    return out if child.returncode == 0 else None


async def read_table(file_name: str, data: bytes, *, limits: TableLimits | None = None) -> Table:
    limits = limits or TableLimits()
    name = file_name.lower()
    if not name.endswith((".csv", ".xlsx", ".xlsm", ".xls")):
        raise UnsupportedFile()
    async with _one_at_a_time:
        out = await _run_reader(name, data, limits)
    if out is None:
        raise TableTooLarge()
    answer = json.loads(out)
    if "refused" in answer:
        raise _REFUSALS.get(answer["refused"], UnsupportedFile)(answer["detail"])
    cells: list[list[str]] = answer["rows"]
    while cells and not any(cells[-1]):
        cells.pop()
    if not cells:
        raise UnsupportedFile("文件是空的。")
    return Table(rows=cells)

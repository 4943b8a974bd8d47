"""A small corpus of hostile files: what an attacker (or a broken export) uploads to every
endpoint that takes a file. Each is built here, small, from nothing."""

import io
import zipfile

from openpyxl import Workbook

from tests.helpers.roster_files import roster_xlsx


def _two_cells(far: str) -> bytes:
    """A 1.6 KB sheet with text at A1 and at ``far``: a reader that trusts the sheet's extent
    allocates every cell between them (XFD1048576: 512 GiB)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"], sheet[far] = "姓名", "x"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(xml: bytes, *, sheet_path: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A real workbook whose first sheet's XML is ``xml`` (stored at ``sheet_path``)."""
    base = io.BytesIO()
    Workbook().save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                z.writestr(sheet_path, xml)
                continue
            if sheet_path != "xl/worksheets/sheet1.xml" and item.filename.endswith(".rels"):
                body = body.replace(b"worksheets/sheet1.xml", sheet_path[3:].encode())
            z.writestr(item, body)
    return out.getvalue()


_NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _zip_bomb() -> bytes:
    """300 MB of sheet XML in about 300 KB."""
    return _with_sheet(_NS + b"<sheetData>" + b" " * (300 << 20) + b"</sheetData></worksheet>")


def _hidden_far_cell() -> bytes:
    """The far cell in a sheet not named sheet1.xml, with no dimension element to warn."""
    xml = (
        _NS + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>b</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    return _with_sheet(xml, sheet_path="xl/worksheets/data.xml")


def _wide_csv() -> bytes:
    return ("姓名," + ",".join(["x"] * 1_000_000) + "\n").encode()


def _long_csv() -> bytes:
    """8 MB of one-line rows: 600,000 people is no village's roster."""
    return ("姓名,手机号\n" + "张三,13800000000\n" * 450_000).encode()


def _huge_cell() -> bytes:
    return roster_xlsx([["张" * 40_000, "13800000000"]])


def _control_characters() -> bytes:
    """Names with a bell, NUL, an escape, a right-to-left override, only a zero-width space, and
    5,000 characters (a csv: Excel would refuse to save some of them, an attacker does not)."""
    names = ["张\x07三", "李\x00四", "王\x1b[31m五", "\u202e三张", "\u200b", "赵" * 5000]
    lines = ["姓名,手机号"] + [f"{n},1380000000{i}" for i, n in enumerate(names)]
    return "\n".join(lines).encode()


def _not_a_spreadsheet() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 200


def _pixel_bomb() -> bytes:
    """A PNG that claims 30,000 × 30,000 pixels (900 MP) in a few hundred bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


# name → (file name, bytes). Every file-taking endpoint refuses each with a 4xx, or (a roster
# whose rows are bad) reports every row and writes nothing.
CORPUS = {
    "far_cell": ("花名册.xlsx", _two_cells("XFD1048576")),
    "far_row": ("花名册.xlsx", _two_cells("AZ1000000")),
    "zip_bomb": ("花名册.xlsx", _zip_bomb()),
    "hidden_far_cell": ("花名册.xlsx", _hidden_far_cell()),
    "wide_csv": ("花名册.csv", _wide_csv()),
    "long_csv": ("花名册.csv", _long_csv()),
    "huge_cell": ("花名册.xlsx", _huge_cell()),
    "not_a_spreadsheet": ("花名册.xlsx", _not_a_spreadsheet()),
    "pixel_bomb": ("photo.png", _pixel_bomb()),
    "control_characters": ("花名册.csv", _control_characters()),
}

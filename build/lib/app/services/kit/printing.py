"""A4 pages drawn with Pillow in a CJK font: posters and sheets of codes that a village office
prints on its own printer, as PNG (one page) or PDF (every page, at the page's true size)."""

import io
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
DPI = 150
A4 = (1240, 1754)  # 210 × 297 mm at 150 dpi
RED = (178, 34, 34)
INK = (40, 40, 40)
GREY = (110, 110, 110)


def font_file(configured: str | None) -> Path | None:
    """The configured CJK font, else the first system one found; None when there is none (the
    caller says in its own words that it cannot print)."""
    for candidate in ((configured,) if configured else ()) + FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def truetype(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The basic layout engine: Chinese needs no shaping, and raqm fails outright on some of
    the characters a typed-in name can hold."""
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def printable(text: str) -> str:
    """What a page can show of ``text``: control and unassigned characters left out."""
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))


class Page:
    """One A4 page, portrait, white."""

    def __init__(self, font: Path) -> None:
        self.image = Image.new("RGB", A4, "white")
        self.draw = ImageDraw.Draw(self.image)
        self._font = font
        self._sizes: dict[int, ImageFont.FreeTypeFont] = {}

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._sizes:
            self._sizes[size] = truetype(self._font, size)
        return self._sizes[size]

    def text(
        self,
        xy: tuple[int, int],
        text: str,
        size: int,
        *,
        fill: tuple[int, int, int] = INK,
        anchor: str = "la",
        max_width: int | None = None,
    ) -> None:
        """Text that shrinks until it fits ``max_width`` (a long title stays on one line)."""
        text = printable(text)
        while (
            max_width and size > 14 and self.draw.textlength(text, font=self.font(size)) > max_width
        ):
            size -= 2
        self.draw.text(xy, text, font=self.font(size), fill=fill, anchor=anchor)

    def _width(self, text: str, size: int) -> float:
        return self.draw.textlength(text, font=self.font(size))

    def code(self, text: str, box: tuple[int, int, int, int]) -> None:
        """A QR code of ``text``, as large as fits the box, centred in it."""
        self.picture(qr_png(text), box)

    def picture(self, png: bytes, box: tuple[int, int, int, int]) -> None:
        left, top, right, bottom = box
        side = min(right - left, bottom - top)
        image = Image.open(io.BytesIO(png)).convert("RGB")
        image = image.resize((side, side), Image.Resampling.NEAREST)
        self.image.paste(
            image, (left + (right - left - side) // 2, top + (bottom - top - side) // 2)
        )


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=10, border=2)
    return buffer.getvalue()


def png(page: Page) -> bytes:
    out = io.BytesIO()
    page.image.save(out, format="PNG", optimize=True, dpi=(DPI, DPI))
    return out.getvalue()


def pdf_of(pages: Iterable[Page]) -> bytes:
    """A PDF written a page at a time as ``pages`` draws them (a generator), so only one A4
    page (~6.5 MB of pixels) is held at once however many there are. Blocking: call it in a
    worker thread."""
    with tempfile.TemporaryFile() as out:
        for index, page in enumerate(pages):
            page.image.save(out, format="PDF", resolution=float(DPI), append=index > 0)
            page.image.close()
        out.seek(0)
        return out.read()


def pdf(pages: Sequence[Page]) -> bytes:
    """Every page in one PDF, each at A4 (the resolution tells the printer the size)."""
    first, *rest = [p.image for p in pages]
    out = io.BytesIO()
    first.save(out, format="PDF", resolution=float(DPI), save_all=True, append_images=rest)
    return out.getvalue()

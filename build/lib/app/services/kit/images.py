"""The photo pipeline: identify, refuse bombs, turn upright, strip metadata, make the display
and thumbnail variants, hash. Pure and synchronous: callers run it off the event loop.

Phones send 3–12 MB JPEGs with EXIF orientation and GPS. Public variants are re-encoded from
pixels only, so no EXIF block (and no GPS) survives; GPS and capture time are returned for the
private record of grid and evidence photos.
"""

import hashlib
import io
import math
import struct
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DISPLAY_EDGE = 1920
THUMB_EDGE = 480
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867


class ImageRejected(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Variant:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Processed:
    content_type: str  # of the original
    width: int  # of the upright display variant
    height: int
    sha256: str  # of the original bytes
    phash: str  # 64-bit difference hash of the picture, hex
    display: Variant
    thumb: Variant
    gps: tuple[float, float] | None
    taken_at: datetime | None


def _rational(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    gps = exif.get_ifd(_GPS_IFD)
    try:
        lat = sum(_rational(v) / 60**i for i, v in enumerate(gps[2]))
        lng = sum(_rational(v) / 60**i for i, v in enumerate(gps[4]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return (-lat if gps.get(1) == "S" else lat, -lng if gps.get(3) == "W" else lng)


def _taken_at(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
    try:
        return datetime.strptime(str(raw), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def difference_hash(image: Image.Image) -> str:
    """dHash: brighter-than-right-neighbour bits of a 9×8 greyscale; survives re-encoding."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()  # one byte per pixel in mode L
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return f"{bits:016x}"


def _encode(image: Image.Image) -> Variant:
    buffer = io.BytesIO()
    # Saved from pixels with no exif/icc arguments: nothing of the original's metadata remains.
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return Variant(buffer.getvalue(), image.width, image.height)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


_CORRUPT = "图片文件已损坏，请重新拍摄或选择。"


def process(data: bytes, *, max_pixels: int) -> Processed:
    """Weak networks deliver cut-off files: any decoder failure, wherever Pillow meets it
    (the header of a WebP, the chunks of a PNG, the pixels of a JPEG), is media.corrupt."""
    try:
        return _process(data, max_pixels=max_pixels)
    except ImageRejected:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        raise ImageRejected("media.corrupt", _CORRUPT) from exc


def _process(data: bytes, *, max_pixels: int) -> Processed:
    digest = hashlib.sha256(data).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except UnidentifiedImageError as exc:
            raise ImageRejected(
                "media.unsupported_type", "只支持 JPEG、PNG 和 WebP 图片。"
            ) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected("media.too_many_pixels", "图片像素太多。") from exc
        # Only the header has been read: refuse a bomb before a single pixel is decoded.
        if image.width * image.height > max_pixels:
            raise ImageRejected(
                "media.too_many_pixels",
                f"图片像素太多（上限 {max_pixels // 1_000_000} 百万像素）。",
            )
        content_type = FORMATS[image.format or ""]
        exif = image.getexif()
        gps, taken_at = _gps(exif), _taken_at(exif)
        shrink = DISPLAY_EDGE / max(image.size)
        if image.format == "JPEG" and shrink < 1:
            # DCT scaling while decoding: a 12 MP photo is decoded at half size, a quarter of
            # the pixels, still at least DISPLAY_EDGE on its long side. The box must be the
            # photo's own shape, or the short side would forbid any scaling.
            image.draft("RGB", (math.ceil(image.width * shrink), math.ceil(image.height * shrink)))
        try:
            image.load()
            # Shrunk before it is turned upright and flattened, so those copies are small.
            image.thumbnail((DISPLAY_EDGE, DISPLAY_EDGE), Image.Resampling.LANCZOS)
            upright = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageRejected("media.corrupt", _CORRUPT) from exc
    rgb = _flatten(upright)
    display = _encode(rgb)
    thumb_image = rgb.copy()
    thumb_image.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return Processed(
        content_type=content_type,
        width=display.width,
        height=display.height,
        sha256=digest,
        phash=difference_hash(thumb_image),
        display=display,
        thumb=_encode(thumb_image),
        gps=gps,
        taken_at=taken_at,
    )

"""The printable certificate of volunteer hours (志愿服务证明), drawn with Pillow in a CJK font.

The font is a system package the project installs (Debian's fonts-wqy-microhei, or Noto CJK);
``XZ_CJK_FONT`` points elsewhere if needed.
"""

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.errors import ServiceUnavailable
from app.services.kit import printing

SIZE = (1240, 877)  # A5 landscape at 150 dpi
RED = (178, 34, 34)
INK = (40, 40, 40)


class FontMissing(ServiceUnavailable):
    code = "volunteer.font_missing"
    detail = "服务器缺少中文字体，暂时无法生成证明，请联系管理员。"


@dataclass(frozen=True, slots=True)
class Certificate:
    name: str
    minutes: int
    activities: int
    period_from: date
    period_to: date
    organisation: str
    issued_on: date


def find_font(configured: str | None) -> Path:
    found = printing.font_file(configured)
    if found is None:
        raise FontMissing()
    return found


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def render(cert: Certificate, font_path: Path) -> bytes:
    image = Image.new("RGB", SIZE, (255, 253, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((24, 24, SIZE[0] - 24, SIZE[1] - 24), outline=RED, width=6)
    draw.rectangle((40, 40, SIZE[0] - 40, SIZE[1] - 40), outline=RED, width=2)

    def font(size: int) -> ImageFont.FreeTypeFont:
        return printing.truetype(font_path, size)

    draw.text((SIZE[0] // 2, 130), "志愿服务证明", font=font(72), fill=RED, anchor="mm")
    hours = cert.minutes / 60
    name = printing.printable(cert.name)
    lines = [
        f"兹证明 {name} 同志于 {_day(cert.period_from)} 至 {_day(cert.period_to)}",
        f"参加志愿服务活动 {cert.activities} 次，",
        f"经组织者确认，累计志愿服务时长 {hours:.1f} 小时。",
        "特此证明。",
    ]
    y = 280
    for line in lines:
        draw.text((140, y), line, font=font(40), fill=INK)
        y += 80
    draw.text(
        (SIZE[0] - 140, SIZE[1] - 190), cert.organisation, font=font(36), fill=INK, anchor="ra"
    )
    draw.text(
        (SIZE[0] - 140, SIZE[1] - 130), _day(cert.issued_on), font=font(36), fill=INK, anchor="ra"
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

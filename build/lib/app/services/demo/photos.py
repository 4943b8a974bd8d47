"""A made-up evidence photo per demo village, stored like any upload, so that demo entries whose
rule asks for a photo show one of their own village (and never another upload's)."""

import io

from PIL import Image, ImageDraw
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.media import Media, Purpose
from app.models.roster import Person
from app.services import media
from app.services.kit import Storage, images

_MAX_PIXELS = 4_000_000


def _picture(seed: int) -> bytes:
    """A clean yard, drawn: sky, ground and a few bins, different in each village."""
    image = Image.new("RGB", (800, 600), (150, 190, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 800, 600), fill=(120 + seed * 20 % 60, 160, 90))
    for index in range(3 + seed % 3):
        left = 80 + index * 150
        draw.rectangle((left, 300, left + 90, 420), fill=(40, 120 + index * 30, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


async def evidence_photo(
    session: AsyncSession, *, storage: Storage, uploader_account_id: int, uploader: Person
) -> Media:
    data = _picture(uploader.village_id or 0)
    return await media.store(
        session,
        storage=storage,
        processed=images.process(data, max_pixels=_MAX_PIXELS),
        data=data,
        purpose=Purpose.evidence,
        account_id=uploader_account_id,
        person=uploader,
    )

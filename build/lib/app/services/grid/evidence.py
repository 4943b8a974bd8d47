"""Photos used as evidence, and spotting one used again: a photo whose perceptual hash is near
one already used in the same village in the last 90 days flags the new record for review."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Unprocessable
from app.models.grid import EvidenceUse
from app.models.media import Media
from app.services import media
from app.services.identity import Principal


class MediaInvalid(Unprocessable):
    code = "grid.media_invalid"
    detail = "只能使用自己上传的照片，请重新上传。"


WINDOW = timedelta(days=90)
# Bits of the 64-bit dHash that may differ: a re-encoded or resized copy differs by a few, a
# different scene by about half of them.
MAX_DISTANCE = 6


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


async def own_photos(
    session: AsyncSession, *, principal: Principal, media_ids: Sequence[int]
) -> list[Media]:
    """The photos, in the order given, if all were uploaded by this account."""
    photos = await media.own_uploads(session, principal=principal, media_ids=media_ids)
    if photos is None:
        raise MediaInvalid()
    return photos


async def resemblances(
    session: AsyncSession,
    *,
    village_id: int,
    photos: Sequence[Media],
    record: tuple[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Earlier evidence in the village that each photo resembles (the record itself excluded)."""
    if not photos:
        return []
    earlier = (
        await session.exec(
            select(EvidenceUse).where(
                col(EvidenceUse.village_id) == village_id,
                col(EvidenceUse.used_at) >= utcnow() - WINDOW,
            )
        )
    ).all()
    found: list[dict[str, Any]] = []
    for photo in photos:
        for use in earlier:
            if record == (use.record_type, use.record_id):
                continue
            gap = 0 if use.sha256 == photo.sha256 else distance(use.phash, photo.phash)
            if gap <= MAX_DISTANCE:
                found.append(
                    {
                        "media_id": photo.id,
                        "earlier_media_id": use.media_id,
                        "record_type": use.record_type,
                        "record_id": use.record_id,
                        "used_at": use.used_at.isoformat(),
                        "distance": gap,
                    }
                )
    return found


def record_uses(
    session: AsyncSession,
    *,
    village_id: int,
    photos: Sequence[Media],
    record_type: str,
    record_id: int,
) -> None:
    for photo in photos:
        assert photo.id is not None
        session.add(
            EvidenceUse(
                village_id=village_id,
                media_id=photo.id,
                sha256=photo.sha256,
                phash=photo.phash,
                record_type=record_type,
                record_id=record_id,
            )
        )

"""Whether photos may stand as the record of something in a place: a photo named by a ledger
entry, a task or a score is shown to the people of that village, so it must exist and have been
taken there (or, uploaded by a town cadre with no village, in that town)."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.media import Media
from app.services.identity import Location


def _belongs(media: Media, where: Location) -> bool:
    if media.village_id is not None:
        return media.village_id == where.village_id
    return media.town_id is None or media.town_id == where.town_id


async def placed_photos(
    session: AsyncSession, *, media_ids: Sequence[int], where: Location
) -> list[Media] | None:
    """The photos in the order given, or None when one is missing or belongs elsewhere."""
    if not media_ids:
        return []
    rows = (await session.exec(select(Media).where(col(Media.id).in_(media_ids)))).all()
    found = {m.id: m for m in rows if _belongs(m, where)}
    if set(found) != set(media_ids):
        return None
    return [found[i] for i in media_ids]

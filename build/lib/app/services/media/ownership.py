"""Whose photos these are: a record may carry only photos its author uploaded."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Unprocessable
from app.models.media import Media
from app.services.identity import Principal


async def own_uploads(
    session: AsyncSession, *, principal: Principal, media_ids: Sequence[int]
) -> list[Media] | None:
    """The photos, in the order given, if this account uploaded every one; else None (each
    caller refuses in its own words)."""
    if not media_ids:
        return []
    rows = (await session.exec(select(Media).where(col(Media.id).in_(media_ids)))).all()
    mine = {m.id: m for m in rows if m.uploader_account_id == principal.account_id}
    if set(mine) != set(media_ids):
        return None
    return [mine[i] for i in media_ids]


class NotYourPhotos(Unprocessable):
    code = "media.not_yours"
    detail = "照片无效：只能附上自己上传的照片。"


async def require_own(
    session: AsyncSession, *, principal: Principal, media_ids: Sequence[int]
) -> list[Media]:
    """``own_uploads``, refusing in the one sentence the newer records share."""
    photos = await own_uploads(session, principal=principal, media_ids=media_ids)
    if photos is None:
        raise NotYourPhotos()
    return photos

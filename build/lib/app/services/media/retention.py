"""A photo's private original (the evidence copy, reached only by a signed link) is kept for
the town's retention period and then deleted; its display and thumbnail variants stay with the
record they show. One batch per run, so a first run on an old installation stays short."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.media import Media
from app.services.kit import Storage

BATCH = 500


async def drop_originals(session: AsyncSession, *, storage: Storage, before: datetime) -> int:
    old = (
        await session.exec(
            select(Media)
            .where(col(Media.original_key).is_not(None), col(Media.created_at) < before)
            .order_by(col(Media.id))
            .limit(BATCH)
        )
    ).all()
    for media in old:
        assert media.original_key is not None
        # The file first: a crash between leaves a row still naming it, retried next run.
        await storage.delete(media.original_key)
        media.original_key = None
        session.add(media)
    await session.flush()
    return len(old)

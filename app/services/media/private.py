"""Photos that only some may see (the minutes' photos: the branch and the levels above). Their
display and thumbnail move under the private prefix, reached only through short-lived signed
links handed to whoever may read the record; the public copies go once the move has committed,
so the address the upload answered stops working."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.after_commit import remove_after_commit
from app.models.media import Media
from app.services.kit import Storage, is_private, private_twin


async def keep_private(session: AsyncSession, *, storage: Storage, photos: Sequence[Media]) -> int:
    """Moves each photo's variants to private keys (once: a private one stays as it is); how
    many moved."""
    moved = 0
    for media in photos:
        if is_private(media.display_key):
            continue
        public = [media.display_key, media.thumb_key]
        for key in public:
            data = await storage.get(key)
            if data is None:  # a variant already gone: nothing left to hide or show
                continue
            await storage.put(private_twin(key), data, "image/jpeg")
        media.display_key, media.thumb_key = (private_twin(k) for k in public)
        session.add(media)
        remove_after_commit(session, storage.delete, public)
        moved += 1
    await session.flush()
    return moved

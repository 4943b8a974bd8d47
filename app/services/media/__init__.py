"""Photos: upload, variants, public URLs, the private originals of evidence, photos only some
may see, and whether a photo may stand as the record of something in a given village."""

from app.services.media import retention
from app.services.media.ownership import NotYourPhotos, own_uploads, require_own
from app.services.media.placement import placed_photos
from app.services.media.private import keep_private
from app.services.media.uploads import private_view, public, store, upload

__all__ = [
    "NotYourPhotos",
    "keep_private",
    "own_uploads",
    "placed_photos",
    "private_view",
    "public",
    "require_own",
    "retention",
    "store",
    "upload",
]

"""Photos: upload, variants, public URLs and the private originals of evidence."""

from app.services.media.uploads import private_view, public, upload

__all__ = ["private_view", "public", "upload"]

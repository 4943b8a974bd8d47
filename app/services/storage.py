"""Where media bytes live. One interface; the local folder is the embedded default."""

import asyncio
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str: ...


class LocalStorage:
    """Files under ``XZ_MEDIA_DIR``, served by the app at ``/media/{key}``."""

    def __init__(self, root: Path, *, url_prefix: str = "/media") -> None:
        self.root = root.resolve()
        self.url_prefix = url_prefix

    def path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root):
            raise ValueError("key escapes the media folder")
        return target

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path(key)

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".part")
            partial.write_bytes(data)
            partial.replace(target)  # readers never see half a file

        await asyncio.to_thread(write)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, True)

    def url(self, key: str) -> str:
        return f"{self.url_prefix}/{key}"

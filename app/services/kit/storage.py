"""Where media bytes live. One interface: a local folder (the embedded default) or an
S3-compatible bucket (for several workers and machines)."""

import asyncio
import hashlib
import hmac
import re
import time
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from app.config import Settings

# Objects under this prefix are never public: they are reached only through signed links.
PRIVATE_PREFIX = "private/"

# The only keys this module writes (media uploads: two hex digits of the photo's hash, a random
# uuid, the variant). A key is checked against them before anything else, so no spelling of
# "..", "." or a slash can reach another file, on a disk or in a bucket.
_PUBLIC_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}(?:\.thumb)?\.jpg")
_PRIVATE_KEY = re.compile(
    re.escape(PRIVATE_PREFIX) + r"[0-9a-f]{2}/[0-9a-f]{32}(?:\.(?:jpg|png|webp)|\.thumb\.jpg)"
)
# How long a link to a private photo's display or thumbnail lasts: a page read now and its
# pictures loaded a little later.
PRIVATE_LINK_SECONDS = 3600


class BadKey(ValueError):
    """A key that is not one this storage could have written."""


def is_private(key: str) -> bool:
    """Whether ``key`` is a private object's (an original, or a private photo's variants);
    any other shape of key is refused."""
    if _PUBLIC_KEY.fullmatch(key):
        return False
    if _PRIVATE_KEY.fullmatch(key):
        return True
    raise BadKey(key)


def private_twin(key: str) -> str:
    """Where a public variant lives once its photo is made private."""
    if is_private(key):
        return key
    return PRIVATE_PREFIX + key


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when it is not there (removed, never written)."""
        ...

    def url(self, key: str) -> str: ...

    def signed_url(self, key: str, *, seconds: int) -> str: ...


class LocalStorage:
    """Files under ``XZ_MEDIA_DIR``, served by the app at ``/media/{key}``."""

    def __init__(self, root: Path, *, secret: str, url_prefix: str = "/media") -> None:
        self.root = root.resolve()
        self.url_prefix = url_prefix
        self._secret = hashlib.sha256(f"media-links:{secret}".encode()).digest()

    def path(self, key: str) -> Path:
        private = is_private(key)
        # Belt and braces: the resolved file must still lie where its kind of key lives.
        target = (self.root / key).resolve()
        inside_private = target.is_relative_to(self.root / PRIVATE_PREFIX)
        if not target.is_relative_to(self.root) or inside_private != private:
            raise BadKey(key)
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

    async def get(self, key: str) -> bytes | None:
        target = self.path(key)

        def read() -> bytes | None:
            try:
                return target.read_bytes()
            except FileNotFoundError:
                return None

        return await asyncio.to_thread(read)

    def url(self, key: str) -> str:
        if is_private(key):
            raise BadKey(key)  # a private original is reached only through a signed link
        return f"{self.url_prefix}/{key}"

    def _signature(self, key: str, expires: int) -> str:
        return hmac.new(self._secret, f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()

    def signed_url(self, key: str, *, seconds: int) -> str:
        is_private(key)
        expires = int(time.time()) + seconds
        return f"{self.url_prefix}/{key}?expires={expires}&sig={self._signature(key, expires)}"

    def signature_valid(self, key: str, expires: int, sig: str) -> bool:
        if expires < time.time():
            return False
        return hmac.compare_digest(self._signature(key, expires), sig)


class S3Storage:
    """An S3-compatible bucket; public variants are read straight from ``public_base_url``."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str | None,
        access_key: str | None,
        secret_key: str | None,
        public_base_url: str,
        public_read_acl: bool = False,
    ) -> None:
        self.bucket = bucket
        # Buckets that still use ACLs mark each variant public-read; buckets with ACLs disabled
        # (AWS's default now) are made readable by a bucket policy or a CDN instead.
        self._extra: dict[str, str] = {"ACL": "public-read"} if public_read_acl else {}
        self.public_base_url = public_base_url.rstrip("/")
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10
            ),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        private = is_private(key)
        # Keys are never reused, so the variants may be cached by anyone for a year.
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl="private, no-store" if private else "public, max-age=31536000, immutable",
            **({} if private else self._extra),
        )

    async def delete(self, key: str) -> None:
        is_private(key)
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=key)

    async def get(self, key: str) -> bytes | None:
        is_private(key)

        def read() -> bytes | None:
            try:
                found = self._client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise
            return bytes(found["Body"].read())

        return await asyncio.to_thread(read)

    def url(self, key: str) -> str:
        if is_private(key):
            raise BadKey(key)  # a private original never gets a public address
        return f"{self.public_base_url}/{key}"

    def signed_url(self, key: str, *, seconds: int) -> str:
        """A short-lived link for a private object (evidence originals)."""
        is_private(key)
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
        )
        return url


def address(storage: Storage, key: str) -> str:
    """The address a page shows for a photo's variant: public, or a short-lived signed link
    when the photo is private."""
    if is_private(key):
        return storage.signed_url(key, seconds=PRIVATE_LINK_SECONDS)
    return storage.url(key)


def create_storage(settings: Settings) -> Storage:
    if settings.s3_bucket:
        public = settings.s3_public_base_url or (
            f"{(settings.s3_endpoint_url or 'https://s3.amazonaws.com').rstrip('/')}/"
            f"{settings.s3_bucket}"
        )
        return S3Storage(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            public_base_url=public,
            public_read_acl=settings.s3_public_read_acl,
        )
    return LocalStorage(settings.media_dir, secret=settings.jwt_secret)

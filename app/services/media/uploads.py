"""Uploads: run the pipeline off the event loop with bounded concurrency, store the variants,
record the row; an upload that fails leaves no file and no row behind."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import AppError, BadRequest, NotFound
from app.models.media import (
    KEEPS_LOCATION,
    KEEPS_ORIGINAL,
    PUBLIC_PURPOSES,
    Media,
    MediaPrivate,
    MediaPublic,
    Moderation,
    Purpose,
)
from app.models.roster import Person
from app.services.feed import content_safety
from app.services.identity import Principal, caller_person, covers, location_of
from app.services.kit import PRIVATE_PREFIX, Storage, WechatGateway, address, images


class Corrupt(BadRequest):
    code = "media.corrupt"
    detail = "没有收到图片。"


class MediaTooLarge(AppError):
    status, title, code, detail = 413, "Content Too Large", "media.too_large", "图片太大了。"


class UnsupportedType(AppError):
    status, title = 415, "Unsupported Media Type"
    code, detail = "media.unsupported_type", "只支持 JPEG、PNG 和 WebP 图片。"


_STATUS = {"media.unsupported_type": UnsupportedType}
_SUFFIX = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class MediaNotFound(NotFound):
    code, detail = "media.not_found", "找不到该图片。"


def public(media: Media, storage: Storage) -> MediaPublic:
    assert media.id is not None
    return MediaPublic(
        id=media.id,
        url=address(storage, media.display_key),
        thumb_url=address(storage, media.thumb_key),
        width=media.width,
        height=media.height,
        content_type="image/jpeg",
        sha256=media.sha256,
    )


async def upload(
    session: AsyncSession,
    *,
    principal: Principal,
    storage: Storage,
    gate: asyncio.Semaphore,
    wechat: WechatGateway,
    public_base_url: str | None,
    purpose: Purpose,
    data: bytes,
    max_bytes: int,
    max_pixels: int,
) -> Media:
    if len(data) > max_bytes:
        raise MediaTooLarge(f"图片不能超过 {max_bytes // (1024 * 1024)} MB。")
    if not data:
        raise Corrupt()
    async with gate:
        try:
            processed = await asyncio.to_thread(images.process, data, max_pixels=max_pixels)
        except images.ImageRejected as rejected:
            error = _STATUS.get(rejected.code, BadRequest)
            raise error(rejected.detail, code=rejected.code) from rejected
    person = await caller_person(session, principal)

    async def screen(media: Media, url: str) -> None:
        if purpose in PUBLIC_PURPOSES:
            await content_safety.submit_photo(
                session, wechat=wechat, media=media, url=url, public_base_url=public_base_url
            )

    return await store(
        session,
        storage=storage,
        processed=processed,
        data=data,
        purpose=purpose,
        account_id=principal.account_id,
        person=person,
        screen=screen,
    )


async def store(
    session: AsyncSession,
    *,
    storage: Storage,
    processed: images.Processed,
    data: bytes,
    purpose: Purpose,
    account_id: int,
    person: Person | None,
    screen: Callable[[Media, str], Awaitable[None]] | None = None,
) -> Media:
    """Writes the variants (and the original, where the purpose keeps it) and records the row
    in the uploader's town and village. `screen` sees the row and its display URL before it is
    saved (content safety). A failure at any step leaves no file behind."""
    stem = f"{processed.sha256[:2]}/{uuid.uuid4().hex}"
    keys = [f"{stem}.jpg", f"{stem}.thumb.jpg"]
    original_key = None
    if purpose in KEEPS_ORIGINAL:
        original_key = f"{PRIVATE_PREFIX}{stem}.{_SUFFIX[processed.content_type]}"
    keep_location = purpose in KEEPS_LOCATION
    written: list[str] = []
    try:
        for key, body in zip(keys, (processed.display.data, processed.thumb.data), strict=True):
            await storage.put(key, body, "image/jpeg")
            written.append(key)
        if original_key:
            await storage.put(original_key, data, processed.content_type)
            written.append(original_key)
        media = Media(
            uploader_account_id=account_id,
            uploader_person_id=person.id if person else None,
            town_id=person.town_id if person else None,
            village_id=person.village_id if person else None,
            purpose=purpose,
            content_type=processed.content_type,
            width=processed.width,
            height=processed.height,
            byte_size=len(data),
            sha256=processed.sha256,
            phash=processed.phash,
            display_key=keys[0],
            thumb_key=keys[1],
            original_key=original_key,
            gps_lat=processed.gps[0] if keep_location and processed.gps else None,
            gps_lng=processed.gps[1] if keep_location and processed.gps else None,
            taken_at=processed.taken_at if keep_location else None,
        )
        if screen is not None:
            await screen(media, storage.url(keys[0]))
        session.add(media)
        await session.flush()
    except BaseException:
        for key in written:
            await storage.delete(key)
        raise
    return media


async def private_view(
    session: AsyncSession,
    *,
    principal: Principal,
    storage: Storage,
    media_id: int,
    link_seconds: int,
) -> MediaPrivate:
    """An admin's view of a photo in their scope, with a short-lived link to the original."""
    media = await session.get(Media, media_id)
    if media is None or media.town_id is None:
        raise MediaNotFound()
    if not covers(principal, location_of(media)):
        raise MediaNotFound()
    answer = public(media, storage)
    return MediaPrivate(
        **answer.model_dump(),
        purpose=Purpose(media.purpose),
        uploader_person_id=media.uploader_person_id,
        village_id=media.village_id,
        gps_lat=media.gps_lat,
        gps_lng=media.gps_lng,
        taken_at=media.taken_at,
        moderation=Moderation(media.moderation),
        moderation_label=media.moderation_label,
        original_url=(
            storage.signed_url(media.original_key, seconds=link_seconds)
            if media.original_key
            else None
        ),
        original_expires_in=link_seconds if media.original_key else None,
        created_at=media.created_at,
    )

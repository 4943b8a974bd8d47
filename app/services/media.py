"""Uploads: run the pipeline off the event loop with bounded concurrency, store the variants,
record the row; an upload that fails leaves no file and no row behind."""

import asyncio
import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import AppError, BadRequest
from app.models.media import KEEPS_LOCATION, Media, MediaPublic, Purpose
from app.models.roster import Person
from app.services import images
from app.services.scopes import Principal
from app.services.storage import Storage


class MediaTooLarge(AppError):
    status, title, code, detail = 413, "Content Too Large", "media.too_large", "图片太大了。"


class UnsupportedType(AppError):
    status, title = 415, "Unsupported Media Type"
    code, detail = "media.unsupported_type", "只支持 JPEG、PNG 和 WebP 图片。"


_STATUS = {"media.unsupported_type": UnsupportedType}


def public(media: Media, storage: Storage) -> MediaPublic:
    assert media.id is not None
    return MediaPublic(
        id=media.id,
        url=storage.url(media.display_key),
        thumb_url=storage.url(media.thumb_key),
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
    purpose: Purpose,
    data: bytes,
    max_bytes: int,
    max_pixels: int,
) -> Media:
    if len(data) > max_bytes:
        raise MediaTooLarge(f"图片不能超过 {max_bytes // (1024 * 1024)} MB。")
    if not data:
        raise BadRequest("没有收到图片。", code="media.corrupt")
    async with gate:
        try:
            processed = await asyncio.to_thread(images.process, data, max_pixels=max_pixels)
        except images.ImageRejected as rejected:
            error = _STATUS.get(rejected.code, BadRequest)
            raise error(rejected.detail, code=rejected.code) from rejected
    stem = f"{processed.sha256[:2]}/{uuid.uuid4().hex}"
    keys = (f"{stem}.jpg", f"{stem}.thumb.jpg")
    person = await session.get(Person, principal.person_id) if principal.person_id else None
    keep_location = purpose in KEEPS_LOCATION
    try:
        await storage.put(keys[0], processed.display.data, "image/jpeg")
        await storage.put(keys[1], processed.thumb.data, "image/jpeg")
        media = Media(
            uploader_account_id=principal.account_id,
            uploader_person_id=principal.person_id,
            town_id=person.town_id if person else None,
            village_id=person.village_id if person else None,
            purpose=purpose.value,
            content_type=processed.content_type,
            width=processed.width,
            height=processed.height,
            byte_size=len(data),
            sha256=processed.sha256,
            phash=processed.phash,
            display_key=keys[0],
            thumb_key=keys[1],
            gps_lat=processed.gps[0] if keep_location and processed.gps else None,
            gps_lng=processed.gps[1] if keep_location and processed.gps else None,
            taken_at=processed.taken_at if keep_location else None,
        )
        session.add(media)
        await session.flush()
    except BaseException:
        for key in keys:
            await storage.delete(key)
        raise
    return media

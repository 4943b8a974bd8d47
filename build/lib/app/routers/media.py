"""Photo uploads as wx.uploadFile sends them, and the public variants."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse

from app.deps import AdminUser, CurrentUser, SessionDep, SettingsDep, StorageDep, WechatDep
from app.errors import NotFound
from app.models.media import MediaPrivate, MediaPublic, Purpose
from app.routers.common import RowId
from app.services import media as media_service
from app.services.kit import BadKey, LocalStorage, Storage, is_private

_CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}

router = APIRouter(tags=["图片上传"])


@router.post("/api/v1/media", status_code=201, response_model=MediaPublic, summary="上传照片")
async def upload(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
    wechat: WechatDep,
    file: Annotated[UploadFile, File(description="照片（JPEG、PNG、WebP）")],
    purpose: Annotated[Purpose, Form()],
) -> MediaPublic:
    data = await file.read(settings.media_max_bytes + 1)
    media = await media_service.upload(
        session,
        principal=principal,
        storage=storage,
        gate=request.app.state.media_gate,
        wechat=wechat,
        public_base_url=settings.public_base_url,
        purpose=purpose,
        data=data,
        max_bytes=settings.media_max_bytes,
        max_pixels=settings.media_max_pixels,
    )
    return media_service.public(media, storage)


@router.get(
    "/api/v1/admin/media/{media_id}",
    response_model=MediaPrivate,
    summary="照片详情（拍摄位置、时间、审核结果、证据原图的临时链接）",
)
async def private_view(
    media_id: RowId,
    principal: AdminUser,
    session: SessionDep,
    storage: StorageDep,
    settings: SettingsDep,
) -> MediaPrivate:
    return await media_service.private_view(
        session,
        principal=principal,
        storage=storage,
        media_id=media_id,
        link_seconds=settings.media_signed_url_seconds,
    )


def _local_file(storage: Storage, key: str) -> tuple[LocalStorage, Path, bool]:
    """The file behind a key of exactly the shape uploads write (the storage checks it before
    it resolves anything), and whether it is a private original."""
    if not isinstance(storage, LocalStorage):
        raise NotFound("找不到该图片。", code="media.not_found")
    try:
        path = storage.path(key)
    except BadKey as exc:
        raise NotFound("找不到该图片。", code="media.not_found") from exc
    if not path.is_file():
        raise NotFound("找不到该图片。", code="media.not_found")
    return storage, path, is_private(key)


@router.get("/media/{key:path}", include_in_schema=False)
async def serve(
    key: str,
    storage: StorageDep,
    expires: Annotated[int | None, Query()] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> FileResponse:
    local, path, private = _local_file(storage, key)
    if private:
        # A wrong, missing or expired signature looks like a missing file.
        if expires is None or sig is None or not local.signature_valid(key, expires, sig):
            raise NotFound("链接无效或已过期。", code="media.not_found")
        return FileResponse(
            path,
            media_type=_CONTENT_TYPES[path.suffix],
            headers={"Cache-Control": "private, no-store"},
        )
    # Keys are never reused, so a variant can be cached for good.
    return FileResponse(
        path,
        media_type=_CONTENT_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )

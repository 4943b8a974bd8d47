"""Photo uploads as wx.uploadFile sends them, and the public variants."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from app.deps import CurrentUser, SessionDep, SettingsDep
from app.errors import NotFound
from app.models.media import MediaPublic, Purpose
from app.services import media as media_service
from app.services.storage import LocalStorage

router = APIRouter(tags=["media"])


@router.post("/api/v1/media", status_code=201, response_model=MediaPublic, summary="上传照片")
async def upload(
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="照片（JPEG、PNG、WebP）")],
    purpose: Annotated[Purpose, Form()],
) -> MediaPublic:
    storage = request.app.state.storage
    data = await file.read(settings.media_max_bytes + 1)
    media = await media_service.upload(
        session,
        principal=principal,
        storage=storage,
        gate=request.app.state.media_gate,
        purpose=purpose,
        data=data,
        max_bytes=settings.media_max_bytes,
        max_pixels=settings.media_max_pixels,
    )
    return media_service.public(media, storage)


@router.get("/media/{key:path}", include_in_schema=False)
async def serve(key: str, request: Request) -> FileResponse:
    storage = request.app.state.storage
    if not isinstance(storage, LocalStorage) or not key.endswith(".jpg"):
        raise NotFound("找不到该图片。", code="media.not_found")
    try:
        path = storage.path(key)
    except ValueError as exc:
        raise NotFound("找不到该图片。", code="media.not_found") from exc
    if not path.is_file():
        raise NotFound("找不到该图片。", code="media.not_found")
    # Keys are never reused, so a variant can be cached for good.
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )

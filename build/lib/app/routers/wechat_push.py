"""The address WeChat pushes messages to (content-safety verdicts on photos)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from app.config import Settings
from app.deps import SessionDep, SettingsDep
from app.errors import AppError, BadRequest, Forbidden, NotFound
from app.services.feed import push
from app.services.kit import PushRejected, wechat_push
from app.services.notifications import subscriptions

router = APIRouter(prefix="/api/v1/wechat", tags=["微信消息推送"])

Param = Annotated[str | None, Query(max_length=512)]


def _settings(settings: Settings) -> push.PushSettings:
    if not settings.wechat_push_token:
        raise NotFound("未配置微信消息推送。", code="wechat.push_disabled")
    return push.PushSettings(
        token=settings.wechat_push_token,
        encoding_aes_key=settings.wechat_encoding_aes_key,
        appid=settings.wechat_appid or "",
    )


def _rejected(exc: PushRejected) -> AppError:
    if exc.is_signature:
        return Forbidden("消息推送签名无效。", code="wechat.push_signature")
    return BadRequest("无法读取消息推送的内容。", code="wechat.push_unreadable")


@router.get("/push", response_class=PlainTextResponse, summary="微信消息推送：验证地址")
async def verify_address(
    settings: SettingsDep,
    signature: Param = None,
    timestamp: Param = None,
    nonce: Param = None,
    echostr: Param = None,
) -> PlainTextResponse:
    query = push.PushQuery(signature=signature, timestamp=timestamp or "", nonce=nonce or "")
    try:
        return PlainTextResponse(push.echo(_settings(settings), query, echostr or ""))
    except PushRejected as exc:
        raise _rejected(exc) from exc


@router.post(
    "/push",
    response_class=PlainTextResponse,
    summary="微信消息推送：接收图片审核结果与订阅消息事件",
)
async def receive(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    signature: Param = None,
    timestamp: Param = None,
    nonce: Param = None,
    encrypt_type: Param = None,
    msg_signature: Param = None,
) -> PlainTextResponse:
    query = push.PushQuery(
        signature=signature,
        timestamp=timestamp or "",
        nonce=nonce or "",
        encrypt_type=encrypt_type,
        msg_signature=msg_signature,
    )
    try:
        message = push.read(_settings(settings), query, await request.body())
        await push.handle(session, message=message)
        # Subscribe-message pushes: the user's choices and the outcome of messages sent.
        events = wechat_push.subscribe_events(wechat_push.parse(message))
        await subscriptions.pushed(session, events, templates=settings.wechat_templates)
    except PushRejected as exc:
        raise _rejected(exc) from exc
    # WeChat stops retrying once it hears "success".
    return PlainTextResponse("success")

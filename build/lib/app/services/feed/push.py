"""Handles one message push from WeChat: check it came from WeChat, read it (decrypting in safe
mode), act on it once."""

import logging
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.media import Media, Moderation
from app.services.feed import moderation
from app.services.kit import PushRejected, wechat_push

log = logging.getLogger("xiangzhi.push")


@dataclass(frozen=True, slots=True)
class PushSettings:
    token: str
    encoding_aes_key: str | None
    appid: str


@dataclass(frozen=True, slots=True)
class PushQuery:
    signature: str | None
    timestamp: str
    nonce: str
    encrypt_type: str | None = None
    msg_signature: str | None = None


def echo(settings: PushSettings, query: PushQuery, echostr: str) -> str:
    """The console's check of the push address: answer ``echostr`` if the signature is right."""
    wechat_push.verify(query.signature, settings.token, query.timestamp, query.nonce)
    return echostr


def read(settings: PushSettings, query: PushQuery, body: bytes) -> bytes:
    wechat_push.verify(query.signature, settings.token, query.timestamp, query.nonce)
    if query.encrypt_type != "aes":
        return body
    if not settings.encoding_aes_key:
        raise PushRejected("safe mode without XZ_WECHAT_ENCODING_AES_KEY")
    encrypted = wechat_push.parse(body).get("Encrypt")
    if not isinstance(encrypted, str):
        raise PushRejected("no Encrypt")
    wechat_push.verify(query.msg_signature, settings.token, query.timestamp, query.nonce, encrypted)
    return wechat_push.decrypt(
        encrypted, encoding_aes_key=settings.encoding_aes_key, appid=settings.appid
    )


async def handle(session: AsyncSession, *, message: bytes) -> None:
    """Acts on a verified message once; WeChat's retries of it change nothing."""
    data = wechat_push.parse(message)
    verdict = wechat_push.media_verdict(data)
    if verdict is None:
        return
    media = (
        await session.exec(
            select(Media)
            .where(col(Media.moderation_trace_id) == verdict.trace_id)
            .with_for_update()
        )
    ).first()
    if media is None:
        log.info("media verdict for unknown trace %s", verdict.trace_id)
        return
    # The row lock makes a retry arriving at the same time wait, then find the verdict applied:
    # deduplicated in the same transaction that applies it, so a failed attempt is not skipped.
    if media.moderation == verdict.suggest and media.moderation_label == verdict.label:
        return
    media.moderation = Moderation(verdict.suggest)
    media.moderation_label = verdict.label
    await session.flush()
    changed = await moderation.apply_media_verdict(session, media)
    log.info("media %s is %s; posts changed: %s", media.id, verdict.suggest, changed)

"""WeChat content safety for what the public will see: text is checked while the author waits,
photos are sent to WeChat and their verdict comes back later through the message push.

A check that cannot be made never blocks and never waves through: it sends the post to a human.
Console accounts have no WeChat openid, which WeChat requires; they are accountable cadres, so
their words and photos are not sent.
"""

import logging
from urllib.parse import urljoin

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import AppError
from app.models.auth import UserAccount
from app.models.media import Media, Moderation
from app.services.kit import WechatGateway

log = logging.getLogger("xiangzhi.content_safety")


async def _openid(session: AsyncSession, account_id: int) -> str | None:
    account = await session.get(UserAccount, account_id)
    return account.openid if account else None


async def check_text(
    session: AsyncSession, *, wechat: WechatGateway, account_id: int, text: str
) -> Moderation:
    if wechat.is_mock or not text.strip():
        return Moderation.none
    openid = await _openid(session, account_id)
    if openid is None:
        return Moderation.none
    try:
        return Moderation(await wechat.text_check(content=text, openid=openid))
    except AppError as exc:
        log.warning("msg_sec_check failed (%s): the post goes to human review", exc.code)
        return Moderation.unchecked


async def submit_photo(
    session: AsyncSession,
    *,
    wechat: WechatGateway,
    media: Media,
    url: str,
    public_base_url: str | None,
) -> None:
    """Sends a public photo to WeChat; the verdict is applied when WeChat pushes it."""
    if wechat.is_mock:
        return
    openid = await _openid(session, media.uploader_account_id)
    if openid is None:
        return
    absolute = urljoin(public_base_url.rstrip("/") + "/", url) if public_base_url else url
    if not absolute.startswith(("http://", "https://")):
        # WeChat must download the photo; without XZ_PUBLIC_BASE_URL it cannot reach it.
        media.moderation = Moderation.unchecked
        return
    try:
        media.moderation_trace_id = await wechat.media_check_async(
            media_url=absolute, openid=openid
        )
        media.moderation = Moderation.checking
    except AppError as exc:
        log.warning("media_check_async failed (%s): posts with this photo go to review", exc.code)
        media.moderation = Moderation.unchecked

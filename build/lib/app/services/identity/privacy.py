"""The privacy notice and consent to it: the notice is a Markdown file (the shipped one unless
XZ_PRIVACY_NOTICE_PATH names the town's own) with a version; an account accepts a version
(what wx.requirePrivacyAuthorize reported), and binding a phone needs the current one."""

from functools import lru_cache
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.config import Settings
from app.db import rows
from app.errors import Conflict, Forbidden
from app.models.privacy import PrivacyConsent, PrivacyNotice
from app.services.identity.scopes import Principal

SHIPPED = Path(__file__).with_name("privacy_notice.md")


class ConsentRequired(Forbidden):
    code = "privacy.consent_required"
    detail = "请先阅读并同意隐私保护指引，再绑定手机号。"


class StaleVersion(Conflict):
    code = "privacy.stale_version"
    detail = "隐私保护指引已更新，请阅读新版本后再同意。"


@lru_cache(maxsize=4)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def notice(settings: Settings) -> PrivacyNotice:
    return PrivacyNotice(
        version=settings.privacy_notice_version,
        text=_read(settings.privacy_notice_path or SHIPPED),
    )


async def accept(
    session: AsyncSession, *, principal: Principal, settings: Settings, version: str
) -> PrivacyConsent:
    """Records the acceptance once; accepting again is the same acceptance."""
    if version != settings.privacy_notice_version:
        raise StaleVersion()
    await rows.insert_values(
        session,
        PrivacyConsent,
        {"account_id": principal.account_id, "version": version, "accepted_at": utcnow()},
        skip_conflict=True,
    )
    found = (
        await session.exec(
            select(PrivacyConsent).where(
                col(PrivacyConsent.account_id) == principal.account_id,
                col(PrivacyConsent.version) == version,
            )
        )
    ).one()
    return found


async def require(session: AsyncSession, *, account_id: int, settings: Settings) -> None:
    found = (
        await session.exec(
            select(PrivacyConsent.id).where(
                col(PrivacyConsent.account_id) == account_id,
                col(PrivacyConsent.version) == settings.privacy_notice_version,
            )
        )
    ).first()
    if found is None:
        raise ConsentRequired()

"""Logins, token pairs, refresh rotation with reuse detection, logout, phone binding."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cache import Cache
from app.china_time import utcnow
from app.config import Settings
from app.errors import Conflict, NotFound, Unauthorized
from app.models.auth import RefreshToken, UserAccount
from app.models.roster import Person
from app.services.identity import privacy
from app.services.identity.scopes import Principal
from app.services.identity.tokens import (
    hash_refresh_token,
    issue_access_token,
    new_family_id,
    new_refresh_token,
)
from app.services.kit import WechatGateway, ratelimit

log = logging.getLogger("xiangzhi.auth")


class AlreadyBound(Conflict):
    code = "auth.already_bound"
    detail = "该微信已绑定其他人员。"


class InvalidCredentials(Unauthorized):
    code = "auth.invalid_credentials"
    detail = "用户名或密码错误。"


class NotInRoster(NotFound):
    code = "auth.not_in_roster"
    detail = "花名册中没有这个手机号，请联系村里登记。"


# OWASP's argon2id setting (19 MiB, 2 passes) rather than pwdlib's 64 MiB default: every
# login holds that memory while it hashes, and ten cadres logging in at once on a small server
# should not need 640 MB. Hashes made with other settings still verify.
password_hasher = PasswordHash((Argon2Hasher(memory_cost=19 * 1024, time_cost=2, parallelism=1),))
# Verifying against this when the username is unknown keeps both answers equally slow.
_DUMMY_HASH = password_hasher.hash("not-a-real-password")


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    account: UserAccount


class RefreshInvalid(Unauthorized):
    code = "auth.refresh_invalid"
    detail = "登录凭证无效或已过期，请重新登录。"


class RefreshReused(Unauthorized):
    code = "auth.refresh_reused"
    detail = "登录凭证已被使用过，为了安全已退出所有设备，请重新登录。"
    keeps_changes = True


async def issue_pair(
    session: AsyncSession, settings: Settings, account: UserAccount, *, family_id: str | None = None
) -> TokenPair:
    assert account.id is not None
    family = family_id or new_family_id()
    raw = new_refresh_token()
    session.add(
        RefreshToken(
            account_id=account.id,
            family_id=family,
            token_hash=hash_refresh_token(raw),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    await session.flush()
    access = issue_access_token(settings, account_id=account.id, session_id=family)
    return TokenPair(access, raw, settings.access_token_seconds, account)


async def wechat_login(
    session: AsyncSession, *, settings: Settings, wechat: WechatGateway, code: str
) -> TokenPair:
    identity = await wechat.code_to_session(code)
    account = (
        await session.exec(select(UserAccount).where(UserAccount.openid == identity.openid))
    ).first()
    if account is None:
        account = UserAccount(openid=identity.openid, unionid=identity.unionid)
        session.add(account)
    elif identity.unionid and account.unionid != identity.unionid:
        account.unionid = identity.unionid
    account.last_login_at = utcnow()
    await session.flush()
    return await issue_pair(session, settings, account)


# Wrong passwords free before the waits begin, and the longest wait, per (username, address).
FREE_FAILURES = 5
MAX_WAIT_SECONDS = 900


async def password_login(
    session: AsyncSession,
    *,
    settings: Settings,
    cache: Cache,
    username: str,
    password: str,
    address: str,
) -> TokenPair:
    """Failures slow down guesses from one address at one account; they never lock the account
    itself, so ten bad tries from anywhere cannot keep an admin out."""
    bucket = f"login:{username.lower()[:64]}:{address}"
    await ratelimit.wait_out(cache, bucket=bucket)
    account = (
        await session.exec(select(UserAccount).where(UserAccount.username == username))
    ).first()
    stored = account.password_hash if account and account.password_hash else _DUMMY_HASH
    # Hashing takes tens of milliseconds of CPU: off the event loop, so other requests go on.
    valid = await asyncio.to_thread(password_hasher.verify, password, stored)
    if account is None or not account.password_hash or not valid:
        await ratelimit.failed(
            cache, bucket=bucket, free=FREE_FAILURES, max_seconds=MAX_WAIT_SECONDS
        )
        # For the sysadmin watching for guessing: who was tried and from where, never the password.
        log.warning(
            "console login failed",
            extra={"username": username[:64], "client": address, "known": account is not None},
        )
        raise InvalidCredentials()
    await ratelimit.succeeded(cache, bucket=bucket)
    account.last_login_at = utcnow()
    await session.flush()
    return await issue_pair(session, settings, account)


async def _revoke_family(session: AsyncSession, family_id: str) -> None:
    """Ends a session: its refresh tokens die, and the principal query refuses its access
    tokens from now on (the database keeps this; a Redis restart cannot forget it)."""
    await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


async def refresh(session: AsyncSession, *, settings: Settings, raw_token: str) -> TokenPair:
    token = (
        await session.exec(
            select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(raw_token))
        )
    ).first()
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise RefreshInvalid()
    spent = token.used_at is not None
    if not spent:
        claimed = await session.execute(
            update(RefreshToken)
            .where(col(RefreshToken.id) == token.id, col(RefreshToken.used_at).is_(None))
            .values(used_at=now)
        )
        spent = claimed.rowcount != 1  # type: ignore[attr-defined]
    if spent:
        await _revoke_family(session, token.family_id)
        raise RefreshReused()
    account = await session.get(UserAccount, token.account_id)
    if account is None:
        raise RefreshInvalid()
    return await issue_pair(session, settings, account, family_id=token.family_id)


async def logout(session: AsyncSession, *, principal: Principal, raw_token: str | None) -> None:
    families = {principal.session_id}
    if raw_token:
        token = (
            await session.exec(
                select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(raw_token))
            )
        ).first()
        if token is not None and token.account_id == principal.account_id:
            families.add(token.family_id)
    for family in sorted(families):
        await _revoke_family(session, family)


async def bind_phone(
    session: AsyncSession,
    *,
    settings: Settings,
    wechat: WechatGateway,
    principal: Principal,
    code: str,
) -> Person:
    # Before the code is spent: a phone asked to consent first can send it again after.
    await privacy.require(session, account_id=principal.account_id, settings=settings)
    phone = await wechat.phone_number(code)
    person = (await session.exec(select(Person).where(Person.phone == phone))).first()
    if person is None:
        raise NotInRoster()
    account = await session.get(UserAccount, principal.account_id)
    assert account is not None
    if account.person_id is not None and account.person_id != person.id:
        raise AlreadyBound()
    other = (
        await session.exec(
            select(UserAccount).where(
                UserAccount.person_id == person.id,
                col(UserAccount.openid).is_not(None),
                UserAccount.id != account.id,
            )
        )
    ).first()
    if other is not None:
        raise AlreadyBound("该人员已绑定其他微信账号。")
    account.person_id = person.id
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # another phone bound the same person a moment ago
        raise AlreadyBound("该人员已绑定其他微信账号。") from exc
    return person

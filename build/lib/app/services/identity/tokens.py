"""Access tokens (JWT, HS256 only) and opaque refresh tokens stored as hashes."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from jose import ExpiredSignatureError, JWTError, jwt

from app.china_time import utcnow
from app.config import Settings
from app.errors import Unauthorized

ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_id: int
    session_id: str
    jti: str


class InvalidToken(Unauthorized):
    code = "auth.invalid_token"
    detail = "登录凭证无效，请重新登录。"


class ExpiredToken(Unauthorized):
    code = "auth.token_expired"
    detail = "登录已过期，请重新登录。"


def issue_access_token(settings: Settings, *, account_id: int, session_id: str) -> str:
    now = utcnow()
    claims = {
        "sub": str(account_id),
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_seconds)).timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


# Tokens already verified, with their expiry: a phone sends the same token with every call
# until it refreshes, and verifying it (base64, JSON, HMAC, seven claim checks) costs more than
# the rest of a cached answer. Keyed by the secret, audience and issuer too, so a change of any
# verifies again; the expiry is checked on every use; revocation is the session's, checked
# with the principal.
_VERIFIED: dict[tuple[str, str, str, str], tuple[AccessClaims, float]] = {}
_VERIFIED_SIZE = 20_000


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    key = (settings.jwt_secret, settings.jwt_audience, settings.jwt_issuer, token)
    held = _VERIFIED.get(key)
    if held is not None:
        if time.time() < held[1]:
            return held[0]
        del _VERIFIED[key]
    claims, expires = _verify(settings, token)
    if len(_VERIFIED) >= _VERIFIED_SIZE:
        _VERIFIED.clear()  # a day's worth of phones; starting over costs one check each
    _VERIFIED[key] = claims, expires
    return claims


def _verify(settings: Settings, token: str) -> tuple[AccessClaims, float]:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "require_jti": True,
                "require_aud": True,
                "require_iss": True,
            },
        )
    except ExpiredSignatureError as exc:
        raise ExpiredToken() from exc
    except (JWTError, ValueError, TypeError) as exc:
        raise InvalidToken() from exc
    sub, sid = claims.get("sub"), claims.get("sid")
    if not isinstance(sub, str) or not sub.isdigit() or not isinstance(sid, str):
        raise InvalidToken()
    return AccessClaims(account_id=int(sub), session_id=sid, jti=str(claims["jti"])), float(
        claims["exp"]
    )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_family_id() -> str:
    return uuid.uuid4().hex

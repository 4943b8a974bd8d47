"""The console's session cookie and its CSRF tokens.

The cookie is a signed token naming the account and the login's session (the same refresh
family an API login makes), the time of the login and of the last page. It is reissued as the
admin works (sliding idle timeout) but never past the absolute lifetime; revocation is the
session's own (the principal query refuses a logged-out family), so `POST /console/logout`
and the API's logout end it alike.

A CSRF token is an HMAC of the session id: forms carry it in a hidden field and htmx in a
header. Before login there is no session, so the login form's token is bound to a random
nonce kept in a short cookie of its own.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from jose import JWTError, jwt

from app.config import Settings

COOKIE = "xz_console"
LOGIN_COOKIE = "xz_console_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_AUDIENCE = "xiangzhi-console"
_ALGORITHM = "HS256"
# The cookie is reissued when the last page is older than this: a page every few seconds
# does not rewrite it every time.
REISSUE_AFTER_SECONDS = 60


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    account_id: int
    session_id: str
    started: int
    seen: int


def issue(settings: Settings, *, account_id: int, session_id: str, started: int) -> str:
    now = int(time.time())
    claims = {
        "sub": str(account_id),
        "sid": session_id,
        "started": started,
        "seen": now,
        "aud": _AUDIENCE,
        "iss": settings.jwt_issuer,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=_ALGORITHM)


def read(settings: Settings, raw: str | None) -> ConsoleSession | None:
    """The session the cookie names, or None when it is missing, forged, idle too long or
    past its lifetime."""
    if not raw or len(raw) > 2048:
        return None
    try:
        claims = jwt.decode(
            raw,
            settings.jwt_secret,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            issuer=settings.jwt_issuer,
        )
        found = ConsoleSession(
            int(claims["sub"]), str(claims["sid"]), int(claims["started"]), int(claims["seen"])
        )
    except (JWTError, KeyError, TypeError, ValueError):
        return None
    now = int(time.time())
    if now - found.seen > settings.console_idle_minutes * 60:
        return None
    if now - found.started > settings.console_max_hours * 3600:
        return None
    return found


def lifetime_left(settings: Settings, found: ConsoleSession) -> int:
    return max(0, found.started + settings.console_max_hours * 3600 - int(time.time()))


def _mac(settings: Settings, purpose: str, value: str) -> str:
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.jwt_secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def csrf_for(settings: Settings, session_id: str) -> str:
    return _mac(settings, "csrf", session_id)


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_csrf_for(settings: Settings, nonce: str) -> str:
    return _mac(settings, "login", nonce)


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())

"""Rotating QR tokens: HMAC-signed, bound to one subject and one time window.

``E12.88675309.ABCDEFGHIJKLMNOP`` is event 12's token for window 88675309 (unix time divided by
the rotation period). The current and the previous window are fresh; older ones are stale but
still provably ours, which lets an offline-queued scan be kept for review. A poster token
(window ``0``) never rotates: it is for printed codes and always needs a location check.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

_TOKEN = re.compile(r"^([A-Z])(\d{1,10})\.(\d{1,12})\.([A-Z2-7]{16})$")
POSTER_WINDOW = 0


class Purpose(StrEnum):
    event = "E"
    sign_in = "I"
    sign_out = "O"


class Freshness(StrEnum):
    fresh = "fresh"
    stale = "stale"
    poster = "poster"


@dataclass(frozen=True, slots=True)
class QrSettings:
    """The HMAC secret and the rotation period travel together: a token read with another
    period than the one it was issued with names another window."""

    secret: str
    rotate_seconds: int


@dataclass(frozen=True, slots=True)
class Checked:
    freshness: Freshness
    window_start: datetime | None  # when the token's window opened (None for a poster token)


def _mac(secret: str, purpose: Purpose, subject_id: int, window: int) -> str:
    digest = hmac.new(
        secret.encode(), f"{purpose.value}:{subject_id}:{window}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest[:10]).decode()


def window_of(moment: datetime, rotate_seconds: int) -> int:
    return int(moment.timestamp()) // rotate_seconds


def issue(
    qr: QrSettings, purpose: Purpose, subject_id: int, *, now: datetime
) -> tuple[str, datetime]:
    """The token for the current window and when it stops being current."""
    window = window_of(now, qr.rotate_seconds)
    token = f"{purpose.value}{subject_id}.{window}.{_mac(qr.secret, purpose, subject_id, window)}"
    expires = datetime.fromtimestamp((window + 1) * qr.rotate_seconds, tz=UTC)
    return token, expires


def poster(qr: QrSettings, purpose: Purpose, subject_id: int) -> str:
    mac = _mac(qr.secret, purpose, subject_id, POSTER_WINDOW)
    return f"{purpose.value}{subject_id}.{POSTER_WINDOW}.{mac}"


def check(
    qr: QrSettings, token: str, purpose: Purpose, subject_id: int, *, now: datetime
) -> Checked | None:
    """None when the token is forged, malformed, or another subject's."""
    match = _TOKEN.match(token.strip())
    if match is None:
        return None
    kind, subject_text, window_text, mac = match.groups()
    window = int(window_text)
    if kind != purpose.value or int(subject_text) != subject_id:
        return None
    if not hmac.compare_digest(mac, _mac(qr.secret, purpose, subject_id, window)):
        return None
    if window == POSTER_WINDOW:
        return Checked(Freshness.poster, None)
    current = window_of(now, qr.rotate_seconds)
    if window > current:
        return None  # a window that has not begun cannot have been scanned
    start = datetime.fromtimestamp(window * qr.rotate_seconds, tz=UTC)
    fresh = window >= current - 1
    return Checked(Freshness.fresh if fresh else Freshness.stale, start)

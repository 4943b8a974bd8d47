"""WeChat's message push: the signature, safe-mode decryption and the photo verdict."""

import base64
import hashlib
import hmac
import json
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class PushRejected(ValueError):
    """The push is not from WeChat or cannot be read."""

    @property
    def is_signature(self) -> bool:
        return self.args == ("signature",)


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def verify(expected: str | None, *parts: str) -> None:
    if not expected or not hmac.compare_digest(signature(*parts), expected.lower()):
        raise PushRejected("signature")


def _key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=")
    except ValueError as exc:
        raise PushRejected("aes key") from exc
    if len(key) != 32:
        raise PushRejected("aes key")
    return key


def decrypt(encrypted: str, *, encoding_aes_key: str, appid: str) -> bytes:
    """Safe mode: AES-256-CBC, IV the key's first 16 bytes, PKCS#7 padding to 32 bytes;
    the plaintext is 16 random bytes, the message length (4 bytes, big-endian), the message
    and the app id, which must be ours."""
    key = _key(encoding_aes_key)
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except ValueError as exc:
        raise PushRejected("base64") from exc
    if not raw or len(raw) % 16:
        raise PushRejected("length")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or len(plain) < 20 + pad:
        raise PushRejected("padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    message, sender = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or sender.decode(errors="replace") != appid:
        raise PushRejected("appid")
    return message


@dataclass(frozen=True, slots=True)
class MediaVerdict:
    trace_id: str
    suggest: str  # pass | review | risky
    label: str


def parse(message: bytes) -> dict[str, Any]:
    try:
        data = json.loads(message)
    except ValueError as exc:
        raise PushRejected("json") from exc
    if not isinstance(data, dict):
        raise PushRejected("json")
    return data


def media_verdict(data: dict[str, Any]) -> MediaVerdict | None:
    """The photo verdict in a push, or None for any other event."""
    if data.get("Event") != "wxa_media_check" or not data.get("trace_id"):
        return None
    result = data.get("result") or {}
    suggest = str(result.get("suggest") or "review") if isinstance(result, dict) else "review"
    label = result.get("label", "") if isinstance(result, dict) else ""
    return MediaVerdict(
        trace_id=str(data["trace_id"])[:64],
        suggest=suggest if suggest in {"pass", "review", "risky"} else "review",
        # WeChat sends the label as a number or a string.
        label=str(label)[:32],
    )


@dataclass(frozen=True, slots=True)
class SubscribeEvent:
    """One template's line in a subscribe-message push: a popup answer, a later change in the
    user's settings, or the outcome of a message sent."""

    event: str  # subscribe_msg_popup_event | subscribe_msg_change_event | subscribe_msg_sent_event
    openid: str
    template_id: str
    status: str  # accept | reject | ban | filter, or for a sent message its ErrorStatus
    msgid: str = ""
    errcode: int = 0
    sent_at: str = ""  # the push's CreateTime: with the user and template, names a retry


_SUBSCRIBE_EVENTS = {
    "subscribe_msg_popup_event",
    "subscribe_msg_change_event",
    "subscribe_msg_sent_event",
}


def subscribe_events(data: dict[str, Any]) -> list[SubscribeEvent]:
    """The lines of a subscribe-message push (WeChat sends one line as an object, several as a
    list), or none for any other event."""
    event = data.get("Event")
    openid = data.get("FromUserName")
    if event not in _SUBSCRIBE_EVENTS or not isinstance(openid, str) or not openid:
        return []
    lines = data.get("List")
    if isinstance(lines, dict):
        lines = [lines]
    if not isinstance(lines, list):
        return []
    found = []
    for line in lines:
        if not isinstance(line, dict) or not line.get("TemplateId"):
            continue
        try:
            errcode = int(line.get("ErrorCode") or 0)
        except (TypeError, ValueError):
            errcode = -2
        found.append(
            SubscribeEvent(
                event=str(event),
                openid=openid[:128],
                template_id=str(line["TemplateId"])[:128],
                status=str(line.get("SubscribeStatusString") or line.get("ErrorStatus") or "")[:64],
                msgid=str(line.get("MsgID") or "")[:64],
                errcode=errcode,
                sent_at=str(data.get("CreateTime") or "")[:32],
            )
        )
    return found

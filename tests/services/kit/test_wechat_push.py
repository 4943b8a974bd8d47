"""The push's signature and safe-mode decryption, on WeChat's example and on tampered input."""

import pytest

from app.services.kit import wechat_push
from app.services.kit.wechat_push import PushRejected
from tests.helpers.fake_wechat import APPID
from tests.helpers.wechat_crypto import AES_KEY, wechat_encrypt


def test_the_documented_signature() -> None:
    expected = "f464b24fc39322e44b38aa78f5edd27bd1441696"
    assert wechat_push.signature("AAAAA", "1714036504", "1514711492") == expected
    wechat_push.verify(expected.upper(), "AAAAA", "1714036504", "1514711492")
    with pytest.raises(PushRejected):
        wechat_push.verify(expected, "AAAAA", "1714036505", "1514711492")
    with pytest.raises(PushRejected):
        wechat_push.verify(None, "AAAAA", "1714036504", "1514711492")


@pytest.mark.parametrize("size", [0, 1, 11, 12, 43, 44, 1000])
def test_safe_mode_round_trip(size: int) -> None:
    message = ("审" * size).encode()
    assert wechat_push.decrypt(wechat_encrypt(message), encoding_aes_key=AES_KEY, appid=APPID) == (
        message
    )


def test_another_apps_message_or_a_tampered_one_is_refused() -> None:
    encrypted = wechat_encrypt(b'{"Event": "wxa_media_check"}')
    with pytest.raises(PushRejected):
        wechat_push.decrypt(encrypted, encoding_aes_key=AES_KEY, appid="wx-someone-else")
    flipped = encrypted[:-8] + ("A" if encrypted[-8] != "A" else "B") + encrypted[-7:]
    with pytest.raises(PushRejected):
        wechat_push.decrypt(flipped, encoding_aes_key=AES_KEY, appid=APPID)
    for garbage in ("", "not base64!", "QUJD"):
        with pytest.raises(PushRejected):
            wechat_push.decrypt(garbage, encoding_aes_key=AES_KEY, appid=APPID)


def test_labels_come_as_numbers_or_strings() -> None:
    data = {
        "Event": "wxa_media_check",
        "trace_id": "t",
        "result": {"suggest": "risky", "label": 20002},
    }
    assert wechat_push.media_verdict(data) == wechat_push.MediaVerdict("t", "risky", "20002")
    odd = {"Event": "wxa_media_check", "trace_id": "t", "result": {"suggest": "maybe"}}
    assert wechat_push.media_verdict(odd) == wechat_push.MediaVerdict("t", "review", "")
    assert wechat_push.media_verdict({"Event": "user_enter_tempsession"}) is None

"""WeChat's safe-mode message encryption, as WeChat sends a push."""

import base64
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.helpers.fake_wechat import APPID

AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")


def wechat_encrypt(message: bytes) -> str:
    """Safe mode as WeChat's own sample code does it, written here apart from the app's code."""
    key = base64.b64decode(AES_KEY + "=")
    plain = os.urandom(16) + len(message).to_bytes(4, "big") + message + APPID.encode()
    padder = padding.PKCS7(256).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()

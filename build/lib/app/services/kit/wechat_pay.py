"""WeChat Pay API v3 for JSAPI payments (微信支付 JSAPI): placing an order, the parameters the
mini-program hands to ``wx.requestPayment``, querying and closing an order, and the payment
notice checked (RSA-SHA256 over timestamp, nonce and body with the platform key) and opened
(AEAD_AES_256_GCM with the APIv3 key). Signing and verifying with ``cryptography`` and HTTP with
``httpx``: async, and a few dozen lines where the SDK would add a blocking client and its own
certificate downloads."""

import base64
import json
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import Settings

# A notice older than this is refused: a recorded one replayed much later signs nothing new.
NOTICE_MAX_AGE_SECONDS = 300


class PayError(Exception):
    """WeChat Pay refused or could not be reached; the message is for the log."""


class NoticeRefused(Exception):
    """A notice that is not WeChat's, is stale, or cannot be opened."""


@dataclass(frozen=True)
class Merchant:
    appid: str
    mchid: str
    serial_no: str  # the merchant certificate's serial, named in every request we sign
    private_key_pem: str
    apiv3_key: str  # 32 bytes
    platform_serial: str  # the WeChat Pay platform key's serial (or public key id)
    platform_public_key_pem: str
    notify_url: str
    base_url: str = "https://api.mch.weixin.qq.com"


@lru_cache(maxsize=8)
def _private(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@lru_cache(maxsize=8)
def _public(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def sign(private_key_pem: str, message: str) -> str:
    signature = _private(private_key_pem).sign(
        message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return base64.b64encode(signature).decode()


def verify(public_key_pem: str, message: str, signature: str) -> bool:
    try:
        _public(public_key_pem).verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _nonce() -> str:
    return secrets.token_hex(16)


def authorization(merchant: Merchant, method: str, path: str, body: str) -> str:
    """The ``WECHATPAY2-SHA256-RSA2048`` header of one request."""
    stamp, nonce = str(int(time.time())), _nonce()
    signature = sign(merchant.private_key_pem, f"{method}\n{path}\n{stamp}\n{nonce}\n{body}\n")
    return (
        f'WECHATPAY2-SHA256-RSA2048 mchid="{merchant.mchid}",nonce_str="{nonce}",'
        f'signature="{signature}",timestamp="{stamp}",serial_no="{merchant.serial_no}"'
    )


def pay_params(merchant: Merchant, prepay_id: str) -> dict[str, str]:
    """What ``wx.requestPayment`` takes, signed with the merchant key."""
    stamp, nonce, package = str(int(time.time())), _nonce(), f"prepay_id={prepay_id}"
    message = f"{merchant.appid}\n{stamp}\n{nonce}\n{package}\n"
    return {
        "timeStamp": stamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": sign(merchant.private_key_pem, message),
    }


def _check_response(merchant: Merchant, response: httpx.Response) -> None:
    """WeChat signs its answers too: one the platform key does not verify is not WeChat's."""
    headers = response.headers
    message = f"{headers.get('Wechatpay-Timestamp', '')}\n{headers.get('Wechatpay-Nonce', '')}\n"
    message += f"{response.text}\n"
    if headers.get("Wechatpay-Serial") != merchant.platform_serial or not verify(
        merchant.platform_public_key_pem, message, headers.get("Wechatpay-Signature", "")
    ):
        raise PayError("微信支付的应答签名不对")


async def _call(
    http: httpx.AsyncClient, merchant: Merchant, method: str, path: str, body: dict[str, Any] | None
) -> dict[str, Any]:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
    headers = {
        "Authorization": authorization(merchant, method, path, text),
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    try:
        response = await http.request(
            method, merchant.base_url + path, content=text.encode() or None, headers=headers
        )
    except httpx.HTTPError as exc:
        raise PayError(f"微信支付不可达：{exc}") from exc
    if response.status_code >= 400:
        raise PayError(
            f"微信支付拒绝 {method} {path}：{response.status_code} {response.text[:200]}"
        )
    if response.status_code == 204:
        return {}
    _check_response(merchant, response)
    answer: dict[str, Any] = response.json()
    return answer


async def jsapi_order(
    http: httpx.AsyncClient,
    merchant: Merchant,
    *,
    out_trade_no: str,
    description: str,
    amount_fen: int,
    openid: str,
) -> str:
    """The order placed; its ``prepay_id``."""
    answer = await _call(
        http,
        merchant,
        "POST",
        "/v3/pay/transactions/jsapi",
        {
            "appid": merchant.appid,
            "mchid": merchant.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
            "notify_url": merchant.notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
            "payer": {"openid": openid},
        },
    )
    prepay_id = answer.get("prepay_id")
    if not isinstance(prepay_id, str):
        raise PayError("微信支付没有给出 prepay_id")
    return prepay_id


async def query(http: httpx.AsyncClient, merchant: Merchant, out_trade_no: str) -> dict[str, Any]:
    path = f"/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={merchant.mchid}"
    return await _call(http, merchant, "GET", path, None)


async def close(http: httpx.AsyncClient, merchant: Merchant, out_trade_no: str) -> None:
    path = f"/v3/pay/transactions/out-trade-no/{out_trade_no}/close"
    await _call(http, merchant, "POST", path, {"mchid": merchant.mchid})


def open_notice(
    merchant: Merchant, headers: dict[str, str], body: bytes, *, now: float | None = None
) -> dict[str, Any]:
    """The transaction a notice carries, once its signature, age and ciphertext hold."""
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get("wechatpay-timestamp", "")
    nonce = lowered.get("wechatpay-nonce", "")
    if lowered.get("wechatpay-serial") != merchant.platform_serial:
        raise NoticeRefused("证书序列号不对")
    if not stamp.isdigit() or abs((now or time.time()) - int(stamp)) > NOTICE_MAX_AGE_SECONDS:
        raise NoticeRefused("时间戳过期")
    message = f"{stamp}\n{nonce}\n{body.decode(errors='replace')}\n"
    if not verify(
        merchant.platform_public_key_pem, message, lowered.get("wechatpay-signature", "")
    ):
        raise NoticeRefused("签名不对")
    try:
        notice = json.loads(body)
        resource = notice["resource"]
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise NoticeRefused("加密算法不对")
        plain = AESGCM(merchant.apiv3_key.encode()).decrypt(
            resource["nonce"].encode(),
            base64.b64decode(resource["ciphertext"]),
            (resource.get("associated_data") or "").encode(),
        )
        transaction: dict[str, Any] = json.loads(plain)
    except NoticeRefused:
        raise
    except Exception as exc:  # malformed JSON, a wrong key, a tampered ciphertext
        raise NoticeRefused(f"无法解密：{type(exc).__name__}") from exc
    transaction["event_type"] = notice.get("event_type")
    return transaction


def seal_notice(apiv3_key: str, transaction: dict[str, Any], event: str) -> dict[str, Any]:
    """A notice body as WeChat Pay writes one (for its fake in tests and the benchmark)."""
    nonce = secrets.token_hex(6)
    associated = "transaction"
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(transaction).encode(), associated.encode()
    )
    return {
        "id": secrets.token_hex(8),
        "create_time": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "event_type": event,
        "resource_type": "encrypt-resource",
        "summary": "支付成功",
        "resource": {
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated,
            "original_type": "transaction",
            "nonce": nonce,
        },
    }


@dataclass
class PayGateway:
    """The configured merchant and its HTTP client, or neither (dues are then paid in cash)."""

    merchant: Merchant | None
    http: httpx.AsyncClient | None
    branches: frozenset[int] = frozenset()

    def enabled_for(self, branch_id: int | None) -> bool:
        if self.merchant is None or self.http is None or branch_id is None:
            return False
        return not self.branches or branch_id in self.branches

    async def aclose(self) -> None:
        if self.http is not None:
            await self.http.aclose()


def create_pay(settings: Settings) -> PayGateway:
    fields = (
        settings.wechat_appid,
        settings.wechat_pay_mchid,
        settings.wechat_pay_serial_no,
        settings.wechat_pay_private_key,
        settings.wechat_pay_apiv3_key,
        settings.wechat_pay_platform_serial,
        settings.wechat_pay_platform_public_key,
    )
    if not all(fields):
        return PayGateway(None, None)
    base = (settings.public_base_url or "").rstrip("/")
    merchant = Merchant(
        appid=settings.wechat_appid or "",
        mchid=settings.wechat_pay_mchid or "",
        serial_no=settings.wechat_pay_serial_no or "",
        private_key_pem=settings.wechat_pay_private_key or "",
        apiv3_key=settings.wechat_pay_apiv3_key or "",
        platform_serial=settings.wechat_pay_platform_serial or "",
        platform_public_key_pem=settings.wechat_pay_platform_public_key or "",
        notify_url=f"{base}/api/v1/wechat/pay/notify",
        base_url=settings.wechat_pay_api_base.rstrip("/"),
    )
    http = httpx.AsyncClient(timeout=settings.wechat_timeout_seconds)
    return PayGateway(merchant, http, frozenset(settings.wechat_pay_branches))

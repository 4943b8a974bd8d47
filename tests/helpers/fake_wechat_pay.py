"""A fake WeChat Pay (API v3) on loopback that behaves as the real one does with its own test
keys: it checks every request's merchant signature, signs its answers with its platform key,
keeps orders, and writes payment notices signed and encrypted (AEAD_AES_256_GCM) like WeChat's,
to be delivered to the app as often as a test likes."""

import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.main import create_app
from app.services.kit import wechat_pay
from tests.conftest import make_settings
from tests.helpers.fake_wechat import APPID, SECRET
from tests.helpers.net import free_port

MCHID = "1900000109"
MERCHANT_SERIAL = "MERCHANT-SERIAL-1"
PLATFORM_SERIAL = "PUB_KEY_ID_0000000001"
APIV3_KEY = "a" * 16 + "b" * 16


def pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class FakeWechatPay:
    base_url: str = ""
    merchant_private: str = ""
    merchant_public: str = ""
    platform_private: str = ""
    platform_public: str = ""
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused_requests: int = 0

    def __post_init__(self) -> None:
        self.merchant_private, self.merchant_public = pem_pair()
        self.platform_private, self.platform_public = pem_pair()

    def settings(self) -> dict[str, Any]:
        """What the app is configured with to use this merchant."""
        return {
            "wechat_mode": "live",
            "wechat_appid": APPID,
            "wechat_secret": SECRET,
            "wechat_pay_mchid": MCHID,
            "wechat_pay_serial_no": MERCHANT_SERIAL,
            "wechat_pay_private_key": self.merchant_private,
            "wechat_pay_apiv3_key": APIV3_KEY,
            "wechat_pay_platform_serial": PLATFORM_SERIAL,
            "wechat_pay_platform_public_key": self.platform_public,
            "wechat_pay_api_base": self.base_url,
        }

    # ---- what WeChat's servers do ----------------------------------------------------------

    def _signed(self, body: dict[str, Any] | None, status: int = 200) -> Response:
        text = json.dumps(body) if body is not None else ""
        stamp, nonce = str(int(time.time())), secrets.token_hex(8)
        signature = wechat_pay.sign(self.platform_private, f"{stamp}\n{nonce}\n{text}\n")
        headers = {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": PLATFORM_SERIAL,
        }
        if body is None:
            return Response(status_code=204, headers=headers)
        return Response(text, status_code=status, media_type="application/json", headers=headers)

    async def _merchant_signed(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        parts = dict(
            item.split("=", 1)
            for item in header.removeprefix("WECHATPAY2-SHA256-RSA2048 ").split(",")
        )
        parts = {k: v.strip('"') for k, v in parts.items()}
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        body = (await request.body()).decode()
        stamp, nonce = parts.get("timestamp"), parts.get("nonce_str")
        message = f"{request.method}\n{path}\n{stamp}\n{nonce}\n{body}\n"
        good = (
            parts.get("mchid") == MCHID
            and parts.get("serial_no") == MERCHANT_SERIAL
            and wechat_pay.verify(self.merchant_public, message, parts.get("signature", ""))
        )
        self.refused_requests += not good
        return good

    async def jsapi(self, request: Request) -> Response:
        if not await self._merchant_signed(request):
            return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=401)
        body = await request.json()
        self.orders[body["out_trade_no"]] = {
            "appid": body["appid"],
            "mchid": body["mchid"],
            "out_trade_no": body["out_trade_no"],
            "amount": {"total": body["amount"]["total"], "currency": "CNY"},
            "payer": body["payer"],
            "trade_state": "NOTPAY",
        }
        return self._signed({"prepay_id": f"wx{secrets.token_hex(14)}"})

    async def query(self, request: Request) -> Response:
        if not await self._merchant_signed(request):
            return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=401)
        order = self.orders.get(request.path_params["no"])
        if order is None:
            return JSONResponse(
                {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, status_code=404
            )
        return self._signed(order)

    async def close(self, request: Request) -> Response:
        if not await self._merchant_signed(request):
            return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=401)
        self.orders[request.path_params["no"]]["trade_state"] = "CLOSED"
        return self._signed(None)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3/pay/transactions/jsapi", self.jsapi, methods=["POST"]),
                Route("/v3/pay/transactions/out-trade-no/{no}", self.query),
                Route("/v3/pay/transactions/out-trade-no/{no}/close", self.close, methods=["POST"]),
            ]
        )

    # ---- what a member paying and WeChat telling the app look like ------------------------

    def pay(self, out_trade_no: str) -> dict[str, Any]:
        order = self.orders[out_trade_no]
        order.update(
            trade_state="SUCCESS",
            transaction_id=f"4200{secrets.randbelow(10**16):016d}",
            success_time=time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        )
        return order

    def notice(
        self,
        transaction: dict[str, Any],
        *,
        signed_by: str | None = None,
        stamp: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The headers and body WeChat posts to the notify URL (``signed_by``: another key)."""
        body = json.dumps(
            wechat_pay.seal_notice(APIV3_KEY, transaction, "TRANSACTION.SUCCESS")
        ).encode()
        when, nonce = str(stamp or int(time.time())), secrets.token_hex(8)
        signature = wechat_pay.sign(
            signed_by or self.platform_private, f"{when}\n{nonce}\n{body.decode()}\n"
        )
        headers = {
            "Wechatpay-Timestamp": when,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": PLATFORM_SERIAL,
            "Content-Type": "application/json",
        }
        return headers, body


@pytest.fixture(scope="session")
def fake_pay_server() -> Iterator[FakeWechatPay]:
    fake = FakeWechatPay()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    fake.base_url = f"http://127.0.0.1:{port}"
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def fake_pay(fake_pay_server: FakeWechatPay) -> FakeWechatPay:
    fake_pay_server.orders.clear()
    fake_pay_server.refused_requests = 0
    return fake_pay_server


@asynccontextmanager
async def paying_app(fake: FakeWechatPay, **settings: Any) -> AsyncIterator[Any]:
    """The app with WeChat Pay configured against the fake, on the same database."""
    configured = make_settings(**fake.settings()).model_copy(update=settings)
    app = create_app(configured, run_jobs_in_process=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client

"""WeChat server calls: code2session, the shared access token, phone numbers, mini-program
codes, the content-safety checks and subscribe messages.

In mock mode no network is touched: login code ``abc`` is openid ``mock-abc`` and an 11-digit
phone code is that phone number.
"""

import asyncio
import base64
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from app.cache import Cache
from app.config import Settings
from app.errors import BadRequest, Forbidden, ServiceUnavailable, TooManyRequests, UpstreamError


class WechatRateLimited(TooManyRequests):
    code = "auth.wechat_rate_limited"
    detail = "登录太频繁，请一分钟后再试。"


class WechatError(UpstreamError):
    code = "wechat.error"
    detail = "微信服务返回错误，请稍后再试。"


class PhoneCodeInvalid(BadRequest):
    code = "auth.phone_code_invalid"
    detail = "手机号授权码无效，请重新授权。"


class WechatCodeInvalid(BadRequest):
    code = "auth.wechat_code_invalid"
    detail = "登录凭证无效，请重新打开小程序再试。"


class WechatCodeUsed(BadRequest):
    code = "auth.wechat_code_used"
    detail = "登录凭证已被使用，请重新打开小程序再试。"


class WechatRiskyUser(Forbidden):
    code = "auth.wechat_risky_user"
    detail = "微信判定该账号存在风险，暂时无法登录。"


class WrongApp(UpstreamError):
    code = "wechat.wrong_app"
    detail = "手机号信息不属于本小程序。"


log = logging.getLogger("xiangzhi.wechat")

_TOKEN_ERRORS = frozenset({40001, 42001, 40014})


@dataclass(frozen=True, slots=True)
class SendResult:
    state: str  # sent, no_quota or failed
    detail: str  # the msgid when sent, else WeChat's errcode and errmsg


@dataclass(frozen=True, slots=True)
class WechatIdentity:
    openid: str
    unionid: str | None


class WechatUnavailable(ServiceUnavailable):
    code = "wechat.unavailable"
    detail = "微信服务暂时不可用，请稍后再试。"


def _code_error(errcode: int) -> Exception:
    if errcode == 40029:
        return WechatCodeInvalid()
    if errcode == 40163:
        return WechatCodeUsed()
    if errcode == 40226:
        return WechatRiskyUser()
    if errcode == 45011:
        return WechatRateLimited(retry_after=60)
    if errcode == -1:
        return WechatUnavailable()
    return WechatError(f"微信返回错误（{errcode}），请稍后再试。")


class WechatGateway:
    def __init__(self, *, settings: Settings, cache: Cache, http: httpx.AsyncClient | None) -> None:
        self._settings = settings
        self._cache = cache
        self._http = http

    @property
    def is_mock(self) -> bool:
        return self._settings.effective_wechat_mode == "mock"

    async def code_to_session(self, code: str) -> WechatIdentity:
        if self.is_mock:
            return WechatIdentity(openid=f"mock-{code}", unionid=None)
        params = {
            "appid": self._settings.wechat_appid or "",
            "secret": self._settings.wechat_secret or "",
            "js_code": code,
            "grant_type": "authorization_code",
        }
        data = await self._get_json("/sns/jscode2session", params=params, retry_busy=True)
        errcode = int(data.get("errcode") or 0)
        if errcode:
            raise _code_error(errcode)
        openid = data.get("openid")
        if not isinstance(openid, str) or not openid:
            raise WechatError("微信没有返回用户标识，请稍后再试。")
        unionid = data.get("unionid")
        # session_key is deliberately dropped here: it must never be stored, logged or returned.
        return WechatIdentity(openid=openid, unionid=unionid if isinstance(unionid, str) else None)

    async def phone_number(self, code: str) -> str:
        if self.is_mock:
            if len(code) == 11 and code.isdigit():
                return code
            raise PhoneCodeInvalid()
        data = await self._with_access_token("/wxa/business/getuserphonenumber", {"code": code})
        errcode = int(data.get("errcode") or 0)
        if errcode in (40029, 40013):
            raise PhoneCodeInvalid()
        if errcode:
            raise _code_error(errcode)
        info = data.get("phone_info") or {}
        watermark = info.get("watermark") or {}
        if watermark.get("appid") not in (None, self._settings.wechat_appid):
            raise WrongApp()
        phone = info.get("purePhoneNumber")
        if not isinstance(phone, str) or not phone:
            raise WechatError("微信没有返回手机号，请稍后再试。")
        return phone

    async def access_token(self, *, refresh: bool = False) -> str:
        key = f"wechat:access_token:{self._settings.wechat_appid}"
        if not refresh:
            cached = await self._cache.get(key)
            if cached:
                return str(cached)
        # One worker refreshes; the others wait briefly for its result instead of each calling.
        lock = await self._cache.set(f"{key}:lock", "1", nx=True, ex=10)
        if not lock:
            for _ in range(30):
                await asyncio.sleep(0.1)
                cached = await self._cache.get(key)
                if cached:
                    return str(cached)
        try:
            data = await self._post_json(
                "/cgi-bin/stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": self._settings.wechat_appid,
                    "secret": self._settings.wechat_secret,
                    "force_refresh": False,
                },
            )
            errcode = int(data.get("errcode") or 0)
            token = data.get("access_token")
            if errcode or not isinstance(token, str):
                raise _code_error(errcode or -2)
            ttl = max(60, int(data.get("expires_in") or 7200) - 300)
            await self._cache.set(key, token, ex=ttl)
            return token
        finally:
            if lock:
                await self._cache.delete(f"{key}:lock")

    async def mini_program_code(self, *, scene: str, page: str, width: int = 430) -> bytes:
        """A mini-program code image (getwxacodeunlimit). WeChat limits these calls, so each
        scene is fetched once and kept in the cache for every worker."""
        key = f"wechat:wxacode:{page}:{scene}"
        cached = await self._cache.get(key)
        if cached:
            return base64.b64decode(cached)
        body = {"scene": scene, "page": page, "check_path": False, "width": width}
        for attempt in range(2):
            token = await self.access_token(refresh=attempt > 0)
            try:
                response = await self._client().post(
                    "/wxa/getwxacodeunlimit", params={"access_token": token}, json=body
                )
            except httpx.HTTPError as exc:
                raise WechatUnavailable() from exc
            if response.headers.get("content-type", "").startswith("image/"):
                await self._cache.set(key, base64.b64encode(response.content).decode())
                return response.content
            try:
                errcode = int(response.json().get("errcode") or -2)
            except ValueError as exc:
                raise WechatError("微信返回了无法识别的内容。") from exc
            if errcode not in _TOKEN_ERRORS:
                raise _code_error(errcode)
        raise WechatError("微信小程序码生成失败，请稍后再试。")

    async def text_check(self, *, content: str, openid: str, scene: int = 3) -> str:
        """msg_sec_check v2: ``pass``, ``review`` or ``risky``. A user who has not opened the
        mini-program in the last two hours (61010) cannot be checked: humans decide."""
        data = await self._with_access_token(
            "/wxa/msg_sec_check",
            {"content": content[:2500], "version": 2, "scene": scene, "openid": openid},
        )
        errcode = int(data.get("errcode") or 0)
        if errcode == 61010:
            return "review"
        if errcode != 0:
            raise _code_error(errcode)
        suggest = str((data.get("result") or {}).get("suggest") or "review")
        return suggest if suggest in {"pass", "review", "risky"} else "review"

    async def media_check_async(self, *, media_url: str, openid: str, scene: int = 3) -> str:
        """Asks WeChat to check a photo; the verdict arrives later as a message push."""
        data = await self._with_access_token(
            "/wxa/media_check_async",
            {
                "media_url": media_url,
                "media_type": 2,
                "version": 2,
                "scene": scene,
                "openid": openid,
            },
        )
        errcode = int(data.get("errcode") or 0)
        if errcode != 0 or not data.get("trace_id"):
            raise _code_error(errcode or -2)
        return str(data["trace_id"])

    async def send_subscribe_message(
        self,
        *,
        openid: str,
        template_id: str,
        page: str,
        data: dict[str, str],
        state: str,
        tries: int = 3,
    ) -> SendResult:
        """One subscribe message. WeChat busy (−1) and timeouts are tried again with backoff;
        43101 (no subscription left) and every other refusal are answers, not retried."""
        body = {
            "touser": openid,
            "template_id": template_id,
            "page": page,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": state,
            "lang": "zh_CN",
        }
        answer: dict[str, Any] = {}
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(0.2 * 2**attempt)
            try:
                answer = await self._with_access_token("/cgi-bin/message/subscribe/send", body)
            except WechatUnavailable:
                answer = {"errcode": -1, "errmsg": "timeout or unreachable"}
                continue
            if int(answer.get("errcode") or 0) != -1:
                break
        errcode = int(answer.get("errcode") or 0)
        message = str(answer.get("errmsg") or "")[:150]
        if errcode == 0:
            return SendResult("sent", str(answer.get("msgid") or ""))
        if errcode == 43101:
            return SendResult("no_quota", f"43101 {message}")
        return SendResult("failed", f"{errcode} {message}")

    async def _with_access_token(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self.access_token()
        data = await self._post_json(path, json=body, params={"access_token": token})
        if int(data.get("errcode") or 0) in _TOKEN_ERRORS:
            token = await self.access_token(refresh=True)
            data = await self._post_json(path, json=body, params={"access_token": token})
        return data

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise WechatUnavailable()
        return self._http

    async def _get_json(
        self, path: str, *, params: dict[str, str], retry_busy: bool
    ) -> dict[str, Any]:
        data = await self._request("GET", path, params=params)
        if retry_busy and int(data.get("errcode") or 0) == -1:
            await asyncio.sleep(0.2)
            data = await self._request("GET", path, params=params)
        return data

    async def _post_json(
        self, path: str, *, json: dict[str, Any], params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return await self._request("POST", path, params=params, json=json)

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client().request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("wechat %s %s failed: %s", method, path, type(exc).__name__)
            raise WechatUnavailable() from exc
        if response.status_code >= 500:
            raise WechatUnavailable()
        try:
            data = response.json()
        except ValueError as exc:
            raise WechatError("微信返回了无法识别的内容。") from exc
        if not isinstance(data, dict):
            raise WechatError("微信返回了无法识别的内容。")
        return data


def create_wechat_http(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.wechat_api_base,
        timeout=httpx.Timeout(settings.wechat_timeout_seconds, connect=3.0),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        transport=httpx.AsyncHTTPTransport(retries=1),
    )

"""Settings, read from the environment with the prefix ``XZ_``."""

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.validation import wanted

DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"
DEV_QR_SECRET = "dev-only-qr-secret-change-me-0123456789"


def _seed(value: str) -> None:
    """An Ed25519 seed as the settings hold it: base64 of exactly 32 bytes."""
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("须为 base64 编码") from exc
    if len(raw) != 32:
        raise ValueError("须为 32 字节 Ed25519 私钥种子的 base64（如 openssl rand -base64 32）")


# The seed of the Ed25519 key that signs the towns' ledger heads in development only.
DEV_LEDGER_KEY = "ZGV2LW9ubHktbGVkZ2VyLWtleS1jaGFuZ2UtbWUhISE="
WECHAT_API_HOST = "https://api.weixin.qq.com"


class SubscribeTemplate(BaseModel):
    """One subscribe-message template from the mini-program console (订阅消息)."""

    template_id: str = Field(min_length=1, max_length=128)
    title: str = ""
    long_term: bool = False  # 长期订阅: unlimited messages while accepted
    # The template's keys (thing1, time2 …) → which value of the notification fills them:
    # title, body, time, place, status, name, points, code, note.
    fields: dict[str, str] = Field(default_factory=dict)


class ProductionMisconfigured(ValueError):
    """Raised at start-up when production settings are unsafe."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XZ_", env_file=".env", extra="ignore")

    env: Literal["dev", "production"] = "dev"
    database_url: str = "sqlite+aiosqlite:///./var/xiangzhi.db"
    database_pool_size: int = Field(default=20, ge=1)
    redis_url: str | None = None
    # The principal cached between requests (one Redis read instead of a query). On by
    # default with Redis; without it only a single process could bump the version, so a
    # command run beside the server would go unseen: off unless asked for.
    remember_principals: bool | None = None
    # Check-ins arriving while earlier ones are being written are written together (group
    # commit; on PostgreSQL one statement per table per group). Off writes each alone.
    group_checkins: bool = True
    # The same for redemptions at the points shop (the redemption writer).
    group_redemptions: bool = True

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "xiangzhi"
    jwt_audience: str = "xiangzhi-miniprogram"
    access_token_seconds: int = Field(default=2 * 3600, ge=60)
    refresh_token_days: int = Field(default=30, ge=1)
    # The console's session: it ends after this long without a page, and this long after the
    # login however busy the admin is (a shared office laptop left signed in).
    console_idle_minutes: int = Field(default=30, ge=1)
    console_max_hours: int = Field(default=12, ge=1)

    wechat_mode: Literal["live", "mock"] | None = None
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_api_base: str = WECHAT_API_HOST
    wechat_timeout_seconds: float = 5.0
    # The message push (消息推送) settings from the mini-program console: the token signs every
    # push; the EncodingAESKey (43 characters) is needed only in safe mode.
    wechat_push_token: str | None = None
    wechat_encoding_aes_key: str | None = Field(default=None, min_length=43, max_length=43)
    # Where phones and WeChat reach this service, e.g. https://xz.example.cn: WeChat must be able
    # to download a photo to check it, so local-folder media links are made absolute with it.
    public_base_url: str | None = None
    # Subscribe-message templates per notification kind, as JSON, e.g.
    # {"leave_decided": {"template_id": "AbC…", "title": "请假审批结果",
    #   "fields": {"thing1": "title", "phrase2": "status", "time3": "time"}}}
    wechat_templates: dict[str, SubscribeTemplate] = Field(default_factory=dict)
    # Which version of the mini-program a message opens: formal in production by default.
    wechat_miniprogram_state: Literal["formal", "trial", "developer"] | None = None

    # WeChat Pay (微信支付 API v3) for Party dues on the phone: the merchant number, its
    # certificate's serial and private key (PEM text), the APIv3 key (32 characters) and the
    # platform public key with its serial. Without them dues are paid in cash only.
    wechat_pay_mchid: str | None = None
    wechat_pay_serial_no: str | None = None
    wechat_pay_private_key: str | None = None
    wechat_pay_apiv3_key: str | None = Field(default=None, min_length=32, max_length=32)
    wechat_pay_platform_serial: str | None = None
    wechat_pay_platform_public_key: str | None = None
    wechat_pay_api_base: str = "https://api.mch.weixin.qq.com"
    # The branches whose members pay on the phone (the account is theirs); empty: every branch.
    wechat_pay_branches: list[int] = Field(default_factory=list)

    media_dir: Path = Path("./var/media")
    # Set XZ_S3_BUCKET to keep media in an S3-compatible bucket instead of XZ_MEDIA_DIR.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_public_base_url: str | None = None
    s3_public_read_acl: bool = False
    media_max_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    # /docs, /redoc and /openapi.json. On by default in development; off in production (the
    # API's map is an attacker's map too) unless XZ_DOCS_ENABLED=true says otherwise.
    docs_enabled: bool = True
    media_max_pixels: int = Field(default=40_000_000, ge=1_000_000)
    # Decoding a 12 MP photo takes ~100 MB; bounding the parallel work bounds the memory.
    media_concurrency: int = Field(default=2, ge=1)
    # Evidence originals are private: links to them work for this long.
    media_signed_url_seconds: int = Field(default=300, ge=30, le=3600)
    qr_rotate_seconds: int = Field(default=20, ge=5)
    qr_secret: str = DEV_QR_SECRET
    # The Ed25519 key (base64 of its 32-byte seed) that signs every town's daily ledger head;
    # XZ_LEDGER_TOWN_KEYS gives a town its own ({"3": "base64…"}).
    ledger_signing_key: str = DEV_LEDGER_KEY
    ledger_town_keys: dict[int, str] = Field(default_factory=dict)

    # The privacy notice phones show before binding (a Markdown file) and its version: a new
    # version makes every phone ask again. Shipped: app/services/identity/privacy_notice.md.
    privacy_notice_path: Path | None = None
    privacy_notice_version: str = Field(default="2026-12-07", pattern=r"^[0-9A-Za-z._-]{1,32}$")

    idempotency_hours: int = 24
    # /readyz warns when PostgreSQL's WAL archive trails the server by more segments (16 MB).
    wal_archive_warn_segments: int = Field(default=16, ge=1, le=10_000)
    # How long each kind of personal data is kept (PIPL art. 19); a job enforces it hourly.
    # A notification row (its inbox line and WeChat delivery state) and a photo's private
    # original (the evidence copy; the display and thumbnail variants stay with their record).
    retention_notification_days: int = Field(default=365, ge=30, le=3650)
    retention_original_photo_days: int = Field(default=180, ge=7, le=3650)
    # For the fault tests only: hold an idempotent write's answer this long after its commit,
    # so a test can kill the server in the moment a phone would see nothing but a lost reply.
    fault_pause_after_commit: float = Field(default=0, ge=0, le=60)
    login_ip_per_minute: int = 300
    login_account_per_minute: int = 10

    # Days a points-shop reservation waits at the counter before its points and stock go back.
    shop_reservation_days: int = Field(default=7, ge=1, le=90)

    # A CJK font for the certificate, the poster and the door plates; by default the first
    # system one found.
    cjk_font: str | None = None

    # A roster file with more people than this is imported in the background (202, then poll).
    roster_background_rows: int = Field(default=1000, ge=1, le=1_000_000)

    # Volunteer star levels (中国志愿服务联合会): hours for one to five stars.
    volunteer_star_hours: list[int] = Field(default_factory=lambda: [100, 300, 600, 1000, 1500])

    log_level: str = "INFO"

    @property
    def effective_wechat_mode(self) -> Literal["live", "mock"]:
        if self.wechat_mode is not None:
            return self.wechat_mode
        return "live" if self.wechat_appid else "mock"

    @property
    def miniprogram_state(self) -> Literal["formal", "trial", "developer"]:
        if self.wechat_miniprogram_state is not None:
            return self.wechat_miniprogram_state
        return "formal" if self.env == "production" else "developer"

    @model_validator(mode="after")
    def _docs_off_in_production(self) -> "Settings":
        if self.env == "production" and "docs_enabled" not in self.model_fields_set:
            self.docs_enabled = False
        return self

    @field_validator("ledger_signing_key")
    @classmethod
    def _a_seed(cls, value: str) -> str:
        _seed(value)
        return value

    @field_validator("ledger_town_keys")
    @classmethod
    def _seeds(cls, value: dict[int, str]) -> dict[int, str]:
        for seed in value.values():
            _seed(seed)
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        if self.env != "production":
            return self
        problems = self._production_problems()
        if problems:
            # Every problem at once: an operator should not fix them one restart at a time.
            raise ProductionMisconfigured("\n".join(problems))
        return self

    def _production_problems(self) -> list[str]:
        problems = []
        for name, secret, dev in (
            ("XZ_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET),
            ("XZ_QR_SECRET", self.qr_secret, DEV_QR_SECRET),
        ):
            if secret == dev or len(secret.strip()) < 32 or len(set(secret)) < 8:
                problems.append(
                    f"生产环境（XZ_ENV=production）需要把 {name} "
                    "设为至少 32 位、不是同一字符重复的随机密钥"
                )
        if self.ledger_signing_key == DEV_LEDGER_KEY:
            problems.append(
                "生产环境需要 XZ_LEDGER_SIGNING_KEY（32 字节 Ed25519 私钥种子的 base64）："
                "它签署各镇的积分账本，群众手机凭公钥核验"
            )
        if self.jwt_secret == self.qr_secret:
            problems.append("XZ_JWT_SECRET 与 XZ_QR_SECRET 不能相同：一个泄露不应连累另一个")
        if self.wechat_appid and not self.wechat_secret:
            problems.append("设置了 XZ_WECHAT_APPID 就必须同时设置 XZ_WECHAT_SECRET")
        if self.effective_wechat_mode == "mock":
            problems.append(
                "生产环境不能用模拟微信登录（mock WeChat）："
                "请设置 XZ_WECHAT_APPID 和 XZ_WECHAT_SECRET"
            )
        if self.fault_pause_after_commit:
            problems.append("XZ_FAULT_PAUSE_AFTER_COMMIT 只用于故障测试，生产环境不能设置")
        if self.is_sqlite:
            problems.append("生产环境不能用 SQLite：请把 XZ_DATABASE_URL 设为 PostgreSQL")
        if not self.redis_url:
            problems.append(
                "生产环境需要 XZ_REDIS_URL：多个进程要共用登录限流、退出登录的记录和定时任务"
            )
        return problems

    @property
    def remembers_principals(self) -> bool:
        if self.remember_principals is None:
            return self.redis_url is not None
        return self.remember_principals


def explain(error: ValidationError) -> list[str]:
    """Each problem of the environment's settings, naming its variable, in Chinese."""
    lines: list[str] = []
    for err in error.errors():
        loc = err.get("loc", ())
        if err.get("type") == "value_error":
            message = str((err.get("ctx") or {}).get("error") or err.get("msg", ""))
            problems = message.splitlines()
        else:
            problems = [wanted(str(err.get("type")), dict(err.get("ctx") or {}))]
        name = f"XZ_{str(loc[0]).upper()} " if loc else ""
        lines += [f"{name}{problem}" for problem in problems]
    return lines


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Production refuses unsafe settings and says why in one line."""

import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.config import Settings

SAFE = {
    "env": "production",
    "jwt_secret": "Jw7Gq2LmZ9vRt4KpW8sYb3NcJ6hDf5Ae1X",
    "qr_secret": "Qr4Kp8sYb3NcJ6hDf5Ae1x7Gq2LmZ9vRtW",
    "wechat_appid": "wx1",
    "wechat_secret": "s",
    "database_url": "postgresql+asyncpg://db/xz",
    "redis_url": "redis://cache/0",
}


def test_safe_production_settings_load() -> None:
    assert Settings(**SAFE).effective_wechat_mode == "live"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"jwt_secret": Settings.model_fields["jwt_secret"].default}, "XZ_JWT_SECRET"),
        ({"jwt_secret": " " * 40}, "XZ_JWT_SECRET"),
        ({"jwt_secret": "ab" * 20}, "XZ_JWT_SECRET"),
        ({"qr_secret": "short"}, "XZ_QR_SECRET"),
        ({"qr_secret": "p" * 40}, "XZ_QR_SECRET"),
        (
            {
                "jwt_secret": "x7Gq2LmZ9vRt4KpW8sYb3NcJ6hDf5Ae1",
                "qr_secret": "x7Gq2LmZ9vRt4KpW8sYb3NcJ6hDf5Ae1",
            },
            "不能相同",
        ),
        ({"wechat_secret": ""}, "XZ_WECHAT_SECRET"),
        ({"wechat_mode": "mock"}, "mock WeChat"),
        ({"database_url": "sqlite+aiosqlite:///x.db"}, "SQLite"),
        ({"redis_url": None}, "XZ_REDIS_URL"),
    ],
)
def test_production_refuses(change: dict[str, str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(**{**SAFE, **change})  # type: ignore[arg-type]


def test_mock_is_the_default_without_an_app_id() -> None:
    assert Settings(wechat_appid=None).effective_wechat_mode == "mock"


def test_cli_explains_a_refusal_in_one_line() -> None:
    env = {"XZ_ENV": "production", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("配置错误："), result.stderr

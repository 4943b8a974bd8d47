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
    "ledger_signing_key": "cHJvZHVjdGlvbi1sZWRnZXIta2V5LXRoaXJ0eS10d28=",
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
        (
            {"ledger_signing_key": Settings.model_fields["ledger_signing_key"].default},
            "XZ_LEDGER_SIGNING_KEY",
        ),
        ({"ledger_signing_key": "c2hvcnQ="}, "32 字节"),
    ],
)
def test_production_refuses(change: dict[str, str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(**{**SAFE, **change})  # type: ignore[arg-type]


def test_mock_is_the_default_without_an_app_id() -> None:
    assert Settings(wechat_appid=None).effective_wechat_mode == "mock"


def _cli_refusal(env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env={"PATH": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_cli_lists_every_production_problem_at_once() -> None:
    lines = _cli_refusal({"XZ_ENV": "production"})
    assert lines[0] == f"配置错误（{len(lines) - 1} 处）："
    problems = "\n".join(lines[1:])
    for variable in ("XZ_JWT_SECRET", "XZ_QR_SECRET", "XZ_WECHAT_APPID", "XZ_DATABASE_URL"):
        assert variable in problems
    assert "XZ_REDIS_URL" in problems and "XZ_LEDGER_SIGNING_KEY" in problems
    assert len(lines) == 7


def test_cli_names_the_variable_of_a_bad_value() -> None:
    lines = _cli_refusal({"XZ_QR_ROTATE_SECONDS": "2", "XZ_DATABASE_POOL_SIZE": "lots"})
    assert lines == [
        "配置错误（2 处）：",
        "  - XZ_DATABASE_POOL_SIZE 须为整数",
        "  - XZ_QR_ROTATE_SECONDS 不能小于 5",
    ]


def test_templates_for_a_kind_that_does_not_exist_stop_the_start() -> None:
    """A typo in XZ_WECHAT_TEMPLATES would silently never send: the app refuses to start."""
    from app.main import create_app
    from app.services.notifications.subscriptions import UnknownKinds
    from tests.conftest import make_settings

    template = {"template_id": "AbC", "title": "请假审批结果", "fields": {"thing1": "title"}}
    settings = make_settings(wechat_templates={"leave_decide": template})
    with pytest.raises(UnknownKinds, match="leave_decide"):
        create_app(settings, run_jobs_in_process=False)
    create_app(make_settings(wechat_templates={"leave_decided": template}))

"""The command line an operator meets: --version, help with defaults, a password prompt, and
`xiangzhi check`, which names each broken dependency on a line of its own."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from app.checks import run_checks
from app.cli import alembic_config
from app.config import Settings
from tests.conftest import make_settings
from tests.helpers.fake_wechat import APPID, SECRET, FakeWechat
from tests.helpers.net import free_port
from tests.helpers.roster_files import roster_xlsx

ROOT = Path(__file__).resolve().parent.parent


def _cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XZ_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**clean, **(env or {})},
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version_and_help_with_defaults() -> None:
    assert _cli("--version").stdout.strip() == "xiangzhi 1.0.0"
    serve = _cli("serve", "--help").stdout
    assert "启动 HTTP 服务" in serve and "(default: 8000)" in serve
    assert "check" in _cli("--help").stdout


def test_create_admin_asks_for_the_password(tmp_path: Path) -> None:
    env = {"XZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    assert _cli("migrate", env=env).returncode == 0
    made = _cli("create-admin", "county", env=env, stdin="county-pass-1\ncounty-pass-1\n")
    assert made.returncode == 0 and "已创建" in made.stdout, made.stderr
    differ = _cli("create-admin", "county2", env=env, stdin="one-password\nanother-one\n")
    assert differ.returncode != 0 and "不一致" in differ.stderr


def test_check_passes_on_a_migrated_database(tmp_path: Path) -> None:
    env = {"XZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    _cli("migrate", env=env)
    checked = _cli("check", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert [line.split("：")[0] for line in lines] == ["✓ 配置", "✓ 数据库", "✓ Redis", "✓ 微信"]


def test_check_names_each_broken_dependency(tmp_path: Path) -> None:
    env = {
        "XZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}",
        "XZ_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    checked = _cli("check", env=env)
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert lines[1].startswith("✗ 数据库：") and "xiangzhi migrate" in lines[1]
    assert lines[2].startswith("✗ Redis：连接失败")
    assert "Traceback" not in checked.stderr


async def test_check_reaches_wechat_in_live_mode(fake_wechat: FakeWechat) -> None:
    def live(**more: object) -> Settings:
        wanted: dict[str, object] = {
            "wechat_mode": "live",
            "wechat_appid": APPID,
            "wechat_secret": SECRET,
            "wechat_api_base": fake_wechat.base_url,
        }
        return make_settings(**{**wanted, **more})

    script = ScriptDirectory.from_config(alembic_config(live()))
    results = {r.name: r for r in await run_checks(live(), script)}
    assert results["微信"].ok and APPID in results["微信"].detail
    assert fake_wechat.count("/cgi-bin/stable_token") == 1
    wrong = await run_checks(live(wechat_api_base=f"http://127.0.0.1:{free_port()}"), script)
    assert not next(r for r in wrong if r.name == "微信").ok


def test_import_roster_from_the_command_line(tmp_path: Path) -> None:
    env = {"XZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    _cli("migrate", env=env)
    _cli("seed-demo", env=env)
    good = [["新村民甲", "13911110001", "二十四份村", "东网格", "D01", "新村民甲", "户主"]]
    roster = tmp_path / "花名册.xlsx"
    roster.write_bytes(roster_xlsx(good))
    checked = _cli("import-roster", str(roster), env=env)
    assert checked.returncode == 0, checked.stderr
    assert "新建 1 人、1 户" in checked.stdout and "未写入" in checked.stdout
    applied = _cli("import-roster", str(roster), "--apply", env=env)
    assert applied.returncode == 0 and "已导入" in applied.stdout
    again = _cli("import-roster", str(roster), env=env)
    assert "1 行无变化" in again.stdout
    roster.write_bytes(roster_xlsx([*good, ["乙", "12345", "二十四份村"]]))
    refused = _cli("import-roster", str(roster), "--apply", env=env)
    assert refused.returncode == 1
    assert "第 3 行 手机号" in refused.stdout and "整份文件未写入" in refused.stdout


def test_backup_and_restore_of_the_embedded_default(tmp_path: Path) -> None:
    """An online copy of the demo town, a day's writes lost, the copy brought back: the
    database and the photos are as they were at the copy, and every chain verifies."""
    db = tmp_path / "x.db"
    env = {"XZ_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "XZ_MEDIA_DIR": str(tmp_path / "m")}
    _cli("migrate", env=env)
    _cli("seed-demo", env=env)
    copy = tmp_path / "backup-1"
    made = _cli("backup", str(copy), env=env)
    assert made.returncode == 0, made.stderr
    assert "数据库" in made.stdout and "完成" in made.stdout
    photos = sorted(p.relative_to(copy / "media") for p in (copy / "media").rglob("*.jpg"))
    assert photos, "the demo's photos are in the copy"
    with sqlite3.connect(db) as conn:
        entries = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
        conn.execute("DELETE FROM notifications")  # the "wrong DELETE" the copy is for
    shutil.rmtree(tmp_path / "m")
    refused = _cli("backup", str(copy), env=env)
    assert refused.returncode != 0 and "不是空文件夹" in refused.stderr
    back = _cli("restore", str(copy), env=env)
    assert back.returncode == 0, back.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0] == entries
        assert conn.execute("SELECT count(*) FROM notifications").fetchone()[0] > 0
    restored = sorted(p.relative_to(tmp_path / "m") for p in (tmp_path / "m").rglob("*.jpg"))
    assert restored == photos
    verified = _cli("verify-ledger", "--town", "1", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    on_postgres = _cli(
        "backup",
        str(tmp_path / "pg"),
        env={**env, "XZ_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1:1/x"},
    )
    assert on_postgres.returncode != 0 and "只用于内置的 SQLite" in on_postgres.stderr


def test_backup_check_names_the_newest_copy_and_fails_when_it_is_stale(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    env = {"XZ_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "XZ_MEDIA_DIR": str(tmp_path / "m")}
    _cli("migrate", env=env)
    copies = tmp_path / "backups"
    for day in ("2026-12-05", "2026-12-06"):
        assert _cli("backup", str(copies / day), env=env).returncode == 0
    (copies / "torn").mkdir()
    (copies / "torn" / "backup.json").write_text("{", encoding="utf-8")

    fresh = _cli("backup-check", "--backups", str(copies), env=env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "✓ 最近一次基础备份：2026-12-06（全量）" in fresh.stdout
    assert "可恢复到 2 个时刻之一" in fresh.stdout  # the torn copy is not one
    assert "内置 SQLite 没有" in fresh.stdout

    stale = _cli("backup-check", "--backups", str(copies), "--max-age-hours", "0", env=env)
    assert stale.returncode == 1 and "✗ 最近一次基础备份" in stale.stdout

    (tmp_path / "empty").mkdir()
    none = _cli("backup-check", "--backups", str(tmp_path / "empty"), env=env)
    assert none.returncode == 1 and "一份也没有" in none.stdout

    unlooked = _cli("backup-check", env=env)
    assert unlooked.returncode == 0 and "基础备份：未检查" in unlooked.stdout


def test_backup_check_refuses_what_is_not_pgbackrest_info(tmp_path: Path) -> None:
    env = {"XZ_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    _cli("migrate", env=env)
    for given, said in (
        ("not json", "读不懂 pgBackRest"),
        ('[{"name": "other", "backup": []}]', "没有名为 xiangzhi 的 stanza"),
        ('[{"name": "xiangzhi", "backup": [{"label": "x"}]}]', "读不懂 pgBackRest"),
        (
            '[{"name": "xiangzhi", "backup": [{"label": "x", "type": "full", '
            '"timestamp": {"stop": 99999999999999999999}}]}]',
            "读不懂 pgBackRest",
        ),
    ):
        refused = _cli("backup-check", "--pgbackrest-info", "-", env=env, stdin=given)
        assert refused.returncode != 0 and said in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    missing = _cli("backup-check", "--pgbackrest-info", str(tmp_path / "nope.json"), env=env)
    assert missing.returncode != 0 and "读不了" in missing.stderr

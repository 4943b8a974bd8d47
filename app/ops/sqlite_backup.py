"""The embedded default's backup and restore: SQLite's online backup API copies the database
consistently while the service keeps writing, then the media folder is copied. The database
goes first: an upload writes its files before its row commits, so every photo the copied
database names is already on disk when the folder is copied. A restore copies both back
(the service stopped), each through a temporary name so a failure leaves the old one whole."""

import json
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

DATABASE = "xiangzhi.db"
MEDIA = "media"
MANIFEST = "backup.json"


class BackupError(Exception):
    """Said to the operator as it is, in Chinese."""


def database_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        raise BackupError(
            "xiangzhi backup 只用于内置的 SQLite 数据库；"
            "PostgreSQL 用 pgBackRest 连续归档（见 README 的 Backups 一节）。"
        )
    return Path(url.database)


def _copy_database(source: Path, target: Path, progress: Callable[[str], None]) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:

        def step(_status: int, remaining: int, total: int) -> None:
            if total:
                progress(f"  数据库：{total - remaining}/{total} 页")

        src.backup(dst, pages=1024, progress=step)


def backup(
    database_url: str, media_dir: Path, target: Path, progress: Callable[[str], None] = print
) -> Path:
    """Writes the copy into ``target`` (a new or empty folder); returns it."""
    source = database_path(database_url)
    if not source.is_file():
        raise BackupError(f"找不到数据库文件 {source}。")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} 不是空文件夹；请换一个新的备份位置。")
    target.mkdir(parents=True, exist_ok=True)
    progress(f"备份数据库 {source} …")
    _copy_database(source, target / DATABASE, progress)
    photos = 0
    if media_dir.is_dir():
        progress(f"备份照片 {media_dir} …")
        shutil.copytree(media_dir, target / MEDIA)
        photos = sum(1 for p in (target / MEDIA).rglob("*") if p.is_file())
    manifest = {
        "made_at": datetime.now(UTC).isoformat(),
        "database": str(source),
        "media_files": photos,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    progress(f"完成：{target}（照片文件 {photos} 个）")
    return target


def restore(
    source: Path, database_url: str, media_dir: Path, progress: Callable[[str], None] = print
) -> None:
    """Brings a copy made by ``backup`` back. Stop the service first."""
    if not (source / MANIFEST).is_file() or not (source / DATABASE).is_file():
        raise BackupError(
            f"{source} 不是 xiangzhi backup 做的备份（缺少 {MANIFEST} 或 {DATABASE}）。"
        )
    target = database_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    progress(f"恢复数据库到 {target} …")
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    _copy_database(source / DATABASE, partial, progress)
    for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)  # the old database's log must not be replayed on the new
    partial.replace(target)
    if (source / MEDIA).is_dir():
        progress(f"恢复照片到 {media_dir} …")
        incoming = media_dir.with_name(media_dir.name + ".restoring")
        shutil.rmtree(incoming, ignore_errors=True)
        shutil.copytree(source / MEDIA, incoming)
        old = media_dir.with_name(media_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if media_dir.exists():
            media_dir.rename(old)
        incoming.rename(media_dir)
        shutil.rmtree(old, ignore_errors=True)
    progress("完成。请启动服务，并用 xiangzhi verify-ledger 核验各镇的积分账本。")

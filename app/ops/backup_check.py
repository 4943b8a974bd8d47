"""What a restore could reach today, said in lines an operator (or a cron mail) reads: the last
base backup, the oldest moment a restore can go back to, and how far the WAL archive trails.

On PostgreSQL the base backups are pgBackRest's, read from `pgbackrest info --output=json` (the
app's image has no pgBackRest, so the operator pipes that in); the archive's state comes from the
database itself. On the embedded default the backups are the folders `xiangzhi backup` wrote."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.china_time import to_china
from app.db.archive import ArchiveState, warning_of
from app.ops.sqlite_backup import MANIFEST

_KINDS = {"full": "全量", "diff": "差异", "incr": "增量", "copy": "副本"}


class BackupCheckError(Exception):
    """Said to the operator as it is, in Chinese."""


@dataclass(frozen=True, slots=True)
class BaseBackup:
    label: str
    kind: str
    finished_at: datetime


@dataclass(frozen=True, slots=True)
class Line:
    ok: bool
    text: str


def _when(moment: datetime) -> str:
    return to_china(moment).strftime("%Y-%m-%d %H:%M:%S（北京时间）")


def pgbackrest_backups(raw: str, *, stanza: str) -> list[BaseBackup]:
    """The stanza's backups, oldest first, from `pgbackrest info --output=json`."""
    try:
        data: Any = json.loads(raw)
        named = [s for s in data if isinstance(s, dict) and s.get("name") == stanza]
        if not named:
            raise BackupCheckError(f"pgBackRest 的信息里没有名为 {stanza} 的 stanza。")
        found = named[0]
        backups = [
            BaseBackup(
                label=str(b["label"]),
                kind=_KINDS.get(str(b["type"]), str(b["type"])),
                finished_at=datetime.fromtimestamp(int(b["timestamp"]["stop"]), UTC),
            )
            for b in found.get("backup", [])
        ]
    except (ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
        raise BackupCheckError(
            "读不懂 pgBackRest 的信息：请给 `pgbackrest --stanza=… info --output=json` 的输出。"
        ) from exc
    return sorted(backups, key=lambda b: b.finished_at)


def sqlite_backups(folder: Path) -> list[BaseBackup]:
    """The copies `xiangzhi backup` made in ``folder``'s subfolders (or ``folder`` itself)."""
    if not folder.is_dir():
        raise BackupCheckError(f"找不到备份文件夹 {folder}。")
    backups = []
    for manifest in [folder / MANIFEST, *sorted(folder.glob(f"*/{MANIFEST}"))]:
        if not manifest.is_file():
            continue
        try:
            made = datetime.fromisoformat(json.loads(manifest.read_text("utf-8"))["made_at"])
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            continue  # a torn copy is not a backup one can restore
        backups.append(BaseBackup(label=manifest.parent.name, kind="全量", finished_at=made))
    return sorted(backups, key=lambda b: b.finished_at)


def report(
    *,
    postgres: bool,
    archive: ArchiveState | None,
    backups: list[BaseBackup] | None,
    now: datetime,
    max_age: timedelta,
    max_segments: int,
) -> list[Line]:
    """``backups`` None means they were not looked at (no info given): that line is said, and
    does not fail the check."""
    lines: list[Line] = []
    if backups is None:
        where = "--pgbackrest-info" if postgres else "--backups"
        lines.append(Line(True, f"基础备份：未检查（用 {where} 给出，见 README 的 Backups 一节）"))
    elif not backups:
        lines.append(Line(False, "基础备份：一份也没有，数据库丢了将无法恢复。"))
    else:
        newest, oldest = backups[-1], backups[0]
        age = now - newest.finished_at
        hours = int(age.total_seconds() // 3600)
        text = (
            f"最近一次基础备份：{newest.label}（{newest.kind}），"
            f"完成于 {_when(newest.finished_at)}，{hours} 小时前"
        )
        if age > max_age:
            text += f"，超过了 {int(max_age.total_seconds() // 3600)} 小时"
        lines.append(Line(age <= max_age, text))
        if postgres:
            lines.append(
                Line(True, f"最早可恢复到：{_when(oldest.finished_at)}（共 {len(backups)} 份）")
            )
        else:
            lines.append(
                Line(True, f"可恢复到 {len(backups)} 个时刻之一，最早 {_when(oldest.finished_at)}")
            )
    if not postgres:
        lines.append(
            Line(True, "WAL 归档：内置 SQLite 没有，只能恢复到某一次 xiangzhi backup 的时刻")
        )
    elif archive is None:
        lines.append(
            Line(
                False,
                "WAL 归档：没有开启（archive_mode=off，或这是备库），"
                "只能恢复到基础备份完成的时刻。",
            )
        )
    else:
        warning = warning_of(archive, max_segments=max_segments)
        if warning is not None:
            lines.append(Line(False, warning))
        elif archive.last_archived_time is None:
            lines.append(Line(True, "WAL 归档：已开启，还没有写满的段需要归档"))
        else:
            lines.append(
                Line(
                    True,
                    f"WAL 归档：最近归档 {archive.last_archived_wal}，于 "
                    f"{_when(archive.last_archived_time)}，落后 {archive.behind} 段，"
                    f"累计失败 {archive.failed_count} 次",
                )
            )
    return lines

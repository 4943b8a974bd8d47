"""How far PostgreSQL's WAL archive (pgBackRest's archive-push) trails the server: the point in
time a restore can reach is the last archived segment, so a failing or lagging archive is a
warning on /readyz long before anyone needs a restore."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# 16 MB segments: 256 of them make one "xlogid" in a WAL file's name (TTTTTTTT XXXXXXXX YYYYYYYY).
_PER_ID = 0x100


def segment_number(wal_file: str) -> int | None:
    """None for what the archiver also archives but is no segment: a new timeline's history
    file (00000002.history, the last one archived right after a restore), a backup label."""
    name = wal_file[:24]
    if len(name) != 24 or any(c not in "0123456789ABCDEF" for c in name):
        return None
    return int(name[8:16], 16) * _PER_ID + int(name[16:24], 16)


@dataclass(frozen=True, slots=True)
class ArchiveState:
    last_archived_wal: str | None
    last_archived_time: datetime | None
    last_failed_time: datetime | None
    failed_count: int
    current_wal: str
    # Full segments written but not archived yet (the one being written is not counted).
    behind: int

    @property
    def failing(self) -> bool:
        return self.last_failed_time is not None and (
            self.last_archived_time is None or self.last_failed_time > self.last_archived_time
        )


async def archive_state(connection: AsyncConnection) -> ArchiveState | None:
    """None when there is no archive to speak of: SQLite, archiving off, or a standby."""
    if connection.dialect.name != "postgresql":
        return None
    row = (
        await connection.execute(
            text(
                "SELECT current_setting('archive_mode') AS mode, pg_is_in_recovery() AS standby, "
                "last_archived_wal, last_archived_time, last_failed_time, failed_count "
                "FROM pg_stat_archiver"
            )
        )
    ).one()
    if row.mode == "off" or row.standby:
        return None
    current = (
        await connection.execute(text("SELECT pg_walfile_name(pg_current_wal_lsn())"))
    ).scalar_one()
    behind = 0
    archived = segment_number(row.last_archived_wal) if row.last_archived_wal else None
    now_writing = segment_number(str(current))
    if archived is not None and now_writing is not None:
        behind = max(0, now_writing - archived - 1)
    return ArchiveState(
        last_archived_wal=row.last_archived_wal,
        last_archived_time=row.last_archived_time,
        last_failed_time=row.last_failed_time,
        failed_count=int(row.failed_count),
        current_wal=str(current),
        behind=behind,
    )


def warning_of(state: ArchiveState | None, *, max_segments: int) -> str | None:
    """A Chinese sentence when archiving is failing or behind, else None."""
    if state is None:
        return None
    if state.failing:
        return "WAL 归档失败：最近一次归档没有成功，恢复到最近时刻的能力正在丢失。"
    if state.behind > max_segments:
        return f"WAL 归档落后 {state.behind} 个段（约 {state.behind * 16} MB）。"
    return None


async def archive_warning(connection: AsyncConnection, *, max_segments: int) -> str | None:
    return warning_of(await archive_state(connection), max_segments=max_segments)

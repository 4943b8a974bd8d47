"""How far PostgreSQL's WAL archive (pgBackRest's archive-push) trails the server: the point in
time a restore can reach is the last archived segment, so a failing or lagging archive is a
warning on /readyz long before anyone needs a restore."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# 16 MB segments: 256 of them make one "xlogid" in a WAL file's name (TTTTTTTT XXXXXXXX YYYYYYYY).
_PER_ID = 0x100


def segment_number(wal_file: str) -> int:
    return int(wal_file[8:16], 16) * _PER_ID + int(wal_file[16:24], 16)


async def archive_warning(connection: AsyncConnection, *, max_segments: int) -> str | None:
    """A Chinese sentence when archiving is on and failing or behind, else None."""
    if connection.dialect.name != "postgresql":
        return None
    row = (
        await connection.execute(
            text(
                "SELECT current_setting('archive_mode') AS mode, pg_is_in_recovery() AS standby, "
                "last_archived_wal, last_archived_time, last_failed_time FROM pg_stat_archiver"
            )
        )
    ).one()
    if row.mode == "off" or row.standby:
        return None
    if row.last_failed_time is not None and (
        row.last_archived_time is None or row.last_failed_time > row.last_archived_time
    ):
        return "WAL 归档失败：最近一次归档没有成功，恢复到最近时刻的能力正在丢失。"
    current = (
        await connection.execute(text("SELECT pg_walfile_name(pg_current_wal_lsn())"))
    ).scalar_one()
    if row.last_archived_wal is None:
        return None  # nothing to archive yet
    behind = segment_number(current) - segment_number(row.last_archived_wal) - 1
    if behind > max_segments:
        return f"WAL 归档落后 {behind} 个段（约 {behind * 16} MB）。"
    return None

"""Notification rows (a person's inbox line and its WeChat delivery state) older than the
retention period are deleted."""

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.notifications import Notification


async def purge_old(session: AsyncSession, *, before: datetime) -> int:
    gone = await session.execute(delete(Notification).where(col(Notification.created_at) < before))
    return int(gone.rowcount)  # type: ignore[attr-defined]

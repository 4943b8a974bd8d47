"""Whose points moved in a transaction, told once it has committed: a cached ``/me`` answer
carries the version of each account owner's points it was built under, and the ledger is the
only code that moves points, so it is the one place that says so."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import cache_versions
from app.models.points import OwnerType


def key(owner_type: OwnerType, owner_id: int | None) -> str:
    return f"xz:points:v:{owner_type}:{owner_id}"


def moved(session: AsyncSession, owner_type: OwnerType, owner_id: int) -> None:
    cache_versions.bump_on_commit(session, key(owner_type, owner_id))

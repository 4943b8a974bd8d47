"""Whose points moved in a transaction, told once it has committed: a kept ``/me`` answer
carries the version of each account owner's points it was built under, and the ledger is the
only code that moves points, so it is the one place that says so."""

import logging
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.points import OwnerType

log = logging.getLogger("xiangzhi.points")

_MOVED = "points_moved"


def key(owner_type: OwnerType, owner_id: int | None) -> str:
    return f"xz:points:v:{owner_type}:{owner_id}"


def moved(session: AsyncSession, owner_type: OwnerType, owner_id: int) -> None:
    session.info.setdefault(_MOVED, set()).add(key(owner_type, owner_id))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    keys: set[str] | None = session.info.pop(_MOVED, None)
    cache: Any = session.info.get("cache")
    if not keys or cache is None:
        return
    try:
        for name in sorted(keys):
            await_only(cache.incr(name))
    except RedisError:
        log.error("points versions not bumped: kept /me answers live out their minutes")


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_MOVED, None)

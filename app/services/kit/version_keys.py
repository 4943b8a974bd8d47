"""Version keys in Redis, bumped once a commit has landed: whatever keeps an answer (the
principal, ``/me``, the feed's first page) learns it is stale at the next request.

A session collects the keys its writes touch; after its commit each is incremented (inside
the commit's call, so before the caller answers), and a rollback forgets them. Sessions find
the cache in their ``info`` (``create_sessionmaker(engine, cache)``); without one nothing is
kept, so nothing needs bumping. The increment comes after the commit and a reader reads the
version before the database, so a reader that saw the old rows carries the old version.
"""

import logging
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

log = logging.getLogger("xiangzhi.versions")

_PENDING = "version_keys_to_bump"


def bump_on_commit(session: Any, *keys: str) -> None:
    """``session``: an ORM session or an async one (both carry the same ``info``)."""
    session.info.setdefault(_PENDING, set()).update(keys)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    keys: set[str] | None = session.info.pop(_PENDING, None)
    cache = session.info.get("cache")
    if not keys or cache is None:
        return
    try:
        for key in sorted(keys):
            await_only(cache.incr(key))
    except RedisError:
        log.error("versions %s not bumped: kept answers live out their time", sorted(keys))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)

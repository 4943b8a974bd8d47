"""Version keys in Redis, bumped once a commit has landed: whatever keeps an answer (the
principal, ``/me``, the feed's first page) learns it is stale at the next request.

A session collects the keys its writes touch; after its commit each is incremented (inside
the commit's call, so before the caller answers), and a rollback forgets them. Sessions find
the cache in their ``info`` (``create_sessionmaker(engine, cache)``); without one nothing is
cached, so nothing needs bumping. The increment comes after the commit and a reader reads the
version before the database, so a reader that saw the old rows carries the old version.
"""

import logging
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.util import await_only

log = logging.getLogger("xiangzhi.versions")

_PENDING = "version_keys_to_bump"


def body_if_current(held: Any, tag: str) -> bytes | None:
    """A cached answer (``tag`` + newline + JSON) if it was cached under ``tag``."""
    if not held:
        return None
    kept_tag, _, body = str(held).partition("\n")
    return body.encode() if kept_tag == tag else None


async def write(cache: Any, key: str, tag: str, body: bytes, seconds: int) -> None:
    """Caches an answer under its tag; a Redis failure only means it is built again."""
    if not tag:
        return
    try:
        await cache.set(key, f"{tag}\n{body.decode()}", ex=seconds)
    except RedisError:
        log.warning("answer not cached under %s: cache unavailable", key)


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
        if len(keys) == 1:
            await_only(cache.incr(next(iter(keys))))
        else:
            # One trip for all (a group of check-ins moves a hundred members' points).
            pipe = cache.pipeline(transaction=False)
            for key in sorted(keys):
                pipe.incr(key)
            await_only(pipe.execute())
    except RedisError:
        log.error("versions %s not bumped: cached answers live out their time", sorted(keys))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True, slots=True)
class Watched:
    """Which changes to a table's rows make a cached answer stale."""

    columns: frozenset[str] | None = None  # changes to these (None: to any column)
    ignore: frozenset[str] = frozenset()  # changes to only these never do (counters)
    new: bool = True  # whether a new row does


def _changed(row: Any) -> set[str]:
    return {a.key for a in inspect(row).attrs if a.history.has_changes()}


def _dirty_matters(row: Any, watched: Watched) -> bool:
    if watched.columns is None and not watched.ignore:
        return True
    changed = _changed(row)
    if watched.columns is not None:
        return bool(watched.columns & changed)
    return not changed <= watched.ignore


def _update_matters(statement: Any, watched: Watched) -> bool:
    # What the UPDATE sets, read off the statement; unreadable counts as a change (one answer
    # too many rebuilt, never a stale one).
    names = {getattr(c, "key", str(c)) for c in getattr(statement, "_values", None) or {}}
    if not names:
        return True
    if watched.columns is not None:
        return bool(watched.columns & names)
    return not names <= watched.ignore


def watch(key: str, tables: dict[type[Any], Watched]) -> None:
    """Bumps ``key`` after the commit of any session that changes those tables' rows in a
    way that matters, through the ORM's unit of work or an ORM-enabled statement."""

    def flushing(session: Session, _context: Any, _instances: Any) -> None:
        def matters(row: Any, state: str) -> bool:
            watched = tables.get(type(row))
            if watched is None:
                return False
            if state == "new":
                return watched.new
            return state == "deleted" or _dirty_matters(row, watched)

        if (
            any(matters(r, "new") for r in session.new)
            or any(matters(r, "deleted") for r in session.deleted)
            or any(matters(r, "dirty") for r in session.dirty)
        ):
            bump_on_commit(session, key)

    def executing(state: ORMExecuteState) -> None:
        if state.bind_mapper is None:
            return
        watched = tables.get(state.bind_mapper.class_)
        if watched is None:
            return
        if (
            state.is_delete
            or (state.is_insert and watched.new)
            or (state.is_update and _update_matters(state.statement, watched))
        ):
            bump_on_commit(state.session, key)

    event.listen(Session, "before_flush", flushing)
    event.listen(Session, "do_orm_execute", executing)

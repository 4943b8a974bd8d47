"""The feed's first page, kept a few seconds for everyone who would see the same one.

Most reads of the feed are its first page, and it is the same for everyone of one village
with the same grants. It is kept as the answer's JSON for ``SECONDS`` under a version that any
commit publishing, reviewing, moderating or removing a post (or a photo's moderation) bumps,
so a change is seen at the next request; likes and views are counted elsewhere and never
wait for it (the page's counts may lag by those seconds). A scheduled post appears within
the seconds after its time.
"""

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from app.cache import Cache
from app.models.feed import Category, Post
from app.models.media import Media
from app.services.identity import Principal
from app.services.kit import version_keys

log = logging.getLogger("xiangzhi.feed")

SECONDS = 5
VERSION_KEY = "xz:feed:version"
_COUNTERS = frozenset({"like_count", "view_count"})


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one first page is kept."""

    key: str


def slot(
    principal: Principal,
    home: tuple[int | None, int | None],
    *,
    category: Category | None,
    village_id: int | None,
    limit: int,
) -> Slot:
    grants = sorted(f"{g.role}:{g.scope_type}:{g.scope_id}" for g in principal.grants)
    shape = f"{home}|{grants}|{category}|{village_id}|{limit}"
    digest = hashlib.blake2b(shape.encode(), digest_size=12).hexdigest()
    return Slot(key=f"xz:feed:first:{digest}")


async def kept(cache: Cache, wanted: Slot) -> tuple[str, bytes | None]:
    """The current version, and the kept page's JSON if it was kept under it (one trip)."""
    try:
        version, raw = await cache.mget(VERSION_KEY, wanted.key)
    except RedisError:
        log.warning("feed cache unavailable; reading the database")
        return "", None
    version = str(version or "0")
    if not raw:
        return version, None
    held, _, body = str(raw).partition("\n")
    return version, (body.encode() if held == version else None)


async def keep(cache: Cache, wanted: Slot, version: str, body: bytes) -> None:
    if not version:
        return
    try:
        await cache.set(wanted.key, f"{version}\n{body.decode()}", ex=SECONDS)
    except RedisError:
        log.warning("feed cache unavailable; first page not kept")


def _counters_only(statement: Any) -> bool:
    """An UPDATE that sets only likes or views (what it sets, read off the statement; when it
    cannot be read, it counts as a change: one page too many is rebuilt, never one too few)."""
    names = {getattr(c, "key", str(c)) for c in getattr(statement, "_values", None) or {}}
    return bool(names) and names <= _COUNTERS


def _changes_page(row: Any, session: Session) -> bool:
    if isinstance(row, Media):
        return row not in session.new  # a new photo shows only through its post
    if not isinstance(row, Post):
        return False
    if row in session.dirty:
        changed = {a.key for a in inspect(row).attrs if a.history.has_changes()}
        return not changed <= _COUNTERS
    return True


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, _context: Any, _instances: Any) -> None:
    if any(_changes_page(row, session) for row in (*session.new, *session.dirty, *session.deleted)):
        version_keys.bump_on_commit(session, VERSION_KEY)


@event.listens_for(Session, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    if state.bind_mapper.class_ is Media or (
        state.bind_mapper.class_ is Post
        and not (state.is_update and _counters_only(state.statement))
    ):
        version_keys.bump_on_commit(state.session, VERSION_KEY)

"""The principal remembered in Redis between requests, so an authenticated call skips the
principal query.

Each remembered principal carries the identity version it was read under. Any commit that
changes what a principal is made of (a grant, an account's binding, a place's name, a session
ended by logout or a reused refresh token) bumps that version once it has committed, so the
next request of everyone reads the database again: a revocation takes effect at once. The
version is read *before* the database is, so a change that commits in between leaves the
entry already stale. These changes are rare (admin work, logouts) beside the reads, so one
version for all is enough.

Read only with Redis (``XZ_REMEMBER_PRINCIPALS``): the embedded default has no shared store,
and a command run beside the server (``xiangzhi``) could not reach an in-process copy. The
version is bumped wherever the sessions know a cache (``create_sessionmaker(engine, cache)``).
"""

import json
import logging
from dataclasses import astuple
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from app.cache import Cache
from app.models.auth import RefreshToken, UserAccount
from app.models.roster import Branch, Grid, Person, Role, RoleGrant, ScopeType, Town, Village
from app.services.identity.scopes import Grant, Home, Principal
from app.services.kit import version_keys

log = logging.getLogger("xiangzhi.identity")

VERSION_KEY = "xz:identity:version"
_TTL_SECONDS = 300
# What a principal is made of, and which columns of each: a change to one of them may change
# someone's principal (None: any change). A login's time, a token marked used or a phone
# number are not part of it and bump nothing.
_MADE_OF: dict[type[Any], frozenset[str] | None] = {
    RoleGrant: None,
    UserAccount: frozenset({"person_id"}),
    Person: frozenset({"town_id", "village_id", "branch_id", "is_party_member", "household_id"}),
    RefreshToken: frozenset({"revoked_at"}),
    Town: frozenset({"name"}),
    Village: frozenset({"name"}),
    Branch: frozenset({"name"}),
    Grid: frozenset({"name"}),
}


def _key(account_id: int, session_id: str) -> str:
    return f"xz:principal:{account_id}:{session_id}"


async def recall(cache: Cache, account_id: int, session_id: str) -> tuple[Principal | None, str]:
    """The remembered principal if still current, and the version to remember a new one under.
    Redis failing is not the caller's problem: the database answers instead."""
    try:
        version, raw = await cache.mget(VERSION_KEY, _key(account_id, session_id))
    except RedisError:
        log.warning("principal cache unavailable; reading the database")
        return None, ""
    version = version or "0"
    if raw:
        held = json.loads(raw)
        if held["v"] == version:
            grants = tuple(
                Grant(Role(g[0]), ScopeType(g[1]), g[2], g[3], g[4]) for g in held["grants"]
            )
            principal = Principal(
                account_id=account_id,
                person_id=held["person_id"],
                session_id=session_id,
                grants=grants,
                home=Home(*held["home"]) if held.get("home") else None,
            )
            return principal, version
    return None, version


async def remember(cache: Cache, principal: Principal, version: str) -> None:
    if not version:
        return
    held = {
        "v": version,
        "person_id": principal.person_id,
        "home": list(astuple(principal.home)) if principal.home else None,
        "grants": [
            [g.role, g.scope_type, g.scope_id, g.scope_name, g.town_id] for g in principal.grants
        ],
    }
    try:
        await cache.set(
            _key(principal.account_id, principal.session_id),
            json.dumps(held, ensure_ascii=False),
            ex=_TTL_SECONDS,
        )
    except RedisError:
        log.warning("principal cache unavailable; not remembered")


def _changed_columns(row: Any) -> set[str]:
    return {a.key for a in inspect(row).attrs if a.history.has_changes()}


def _matters(row: Any, *, new: bool) -> bool:
    columns = _MADE_OF.get(type(row), frozenset())
    if new:
        return type(row) is RoleGrant  # a new account, token or place is no one's yet
    return columns is None or bool(columns & _changed_columns(row))


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, _context: Any, _instances: Any) -> None:
    changed = (
        any(_matters(row, new=True) for row in session.new)
        or any(type(row) in _MADE_OF for row in session.deleted)
        or any(_matters(row, new=False) for row in session.dirty)
    )
    if changed:
        version_keys.bump_on_commit(session, VERSION_KEY)


@event.listens_for(Session, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert) or state.bind_mapper is None:
        return
    target = state.bind_mapper.class_
    if target not in _MADE_OF:
        return
    columns = _MADE_OF[target]
    if state.is_update and columns is not None:
        # What the UPDATE sets, read off the statement; unreadable counts as a change (one
        # query too many, never a stale principal).
        names = {getattr(c, "key", str(c)) for c in getattr(state.statement, "_values", None) or {}}
        if names and not columns & names:
            return
    if state.is_insert and target is not RoleGrant:
        return
    version_keys.bump_on_commit(state.session, VERSION_KEY)

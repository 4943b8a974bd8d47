"""The principal cached in Redis between requests, so an authenticated call skips the
principal query.

Each cached principal carries the identity version it was read under. Any commit that
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

from redis.exceptions import RedisError

from app.cache import Cache
from app.db import cache_versions
from app.models.auth import RefreshToken, UserAccount
from app.models.roster import Branch, Grid, Person, Role, RoleGrant, ScopeType, Town, Village
from app.services.identity.scopes import Grant, Home, Principal

log = logging.getLogger("xiangzhi.identity")

VERSION_KEY = "xz:identity:version"
_TTL_SECONDS = 300
# What a principal is made of, and which columns of each: a change to one of them may change
# someone's principal. A login's time, a token marked used or a phone number are not part of
# it and bump nothing; a new account, token or place is no one's yet, a new grant is someone's.
_NAME = cache_versions.Watched(frozenset({"name"}), new=False)
cache_versions.watch(
    VERSION_KEY,
    {
        RoleGrant: cache_versions.Watched(),
        UserAccount: cache_versions.Watched(frozenset({"person_id"}), new=False),
        Person: cache_versions.Watched(
            frozenset({"town_id", "village_id", "branch_id", "is_party_member", "household_id"}),
            new=False,
        ),
        RefreshToken: cache_versions.Watched(frozenset({"revoked_at"}), new=False),
        Town: _NAME,
        Village: _NAME,
        Branch: _NAME,
        Grid: _NAME,
    },
)


def _key(account_id: int, session_id: str) -> str:
    return f"xz:principal:{account_id}:{session_id}"


async def read(cache: Cache, account_id: int, session_id: str) -> tuple[Principal | None, str]:
    """The cached principal if still current, and the version to cache a new one under.
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


async def write(cache: Cache, principal: Principal, version: str) -> None:
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
        log.warning("principal cache unavailable; not cached")

"""The ``/me`` answer cached in Redis per login session, under the versions of what it is made
of: the principal (identity version), the roster and places it names (profile version, bumped
by any commit touching a person, household, place, town settings or member review) and the
points of the person and their household (bumped by the ledger on every posting to them).
A change is seen at the next request; until then ``/me`` is two Redis reads and no query.
"""

from pydantic import TypeAdapter
from redis.exceptions import RedisError

from app.cache import Cache
from app.china_time import to_china, utcnow
from app.db import SessionMaker, cache_versions
from app.models.me import MeProfile
from app.models.points import MemberReview, OwnerType
from app.models.roster import Branch, Grid, Household, Person, Town, Village
from app.services.identity import Principal, principal_cache
from app.services.me.profile import profile_of
from app.services.points import balance_cache

PROFILE_VERSION = "xz:profile:version"
_SECONDS = 300
_NAMED = (Person, Household, Town, Village, Branch, Grid, MemberReview)
_ANSWER: TypeAdapter[MeProfile] = TypeAdapter(MeProfile)


async def me_json(
    sessions: SessionMaker, *, cache: Cache | None, principal: Principal, star_hours: list[int]
) -> bytes:
    """The caller's ``/me`` as JSON; cached when ``cache`` is given and the caller is bound. A
    read session is opened only to build it (a cached answer needs none)."""
    home = principal.home
    if cache is None or principal.person_id is None or home is None:
        return await _built(sessions, principal, star_hours)
    names = [
        principal_cache.VERSION_KEY,
        PROFILE_VERSION,
        balance_cache.key(OwnerType.person, principal.person_id),
        balance_cache.key(OwnerType.household, home.household_id),
        f"xz:me:{principal.account_id}:{principal.session_id}",
    ]
    try:
        *tags, held = await cache.mget(names)
    except RedisError:
        return await _built(sessions, principal, star_hours)
    tag = ".".join(str(t or 0) for t in tags) + f".{to_china(utcnow()).year}"
    body = cache_versions.body_if_current(held, tag)
    if body is not None:
        return body
    answer = await _built(sessions, principal, star_hours)
    await cache_versions.write(cache, names[-1], tag, answer, _SECONDS)
    return answer


async def _built(sessions: SessionMaker, principal: Principal, star_hours: list[int]) -> bytes:
    async with sessions() as session:
        profile = await profile_of(session, principal=principal, star_hours=star_hours)
    return _ANSWER.dump_json(profile)


cache_versions.watch(PROFILE_VERSION, {table: cache_versions.Watched() for table in _NAMED})

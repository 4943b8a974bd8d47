"""The roster person behind the caller: a WeChat account is bound to one by phone; a console
account may have none."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden
from app.models.roster import Person, Role
from app.services.identity.scopes import Principal, scope_towns


class NotBound(Forbidden):
    code = "auth.not_bound"
    detail = "请先绑定手机号。"


async def caller_person(session: AsyncSession, principal: Principal) -> Person | None:
    if principal.person_id is None:
        return None
    return await session.get(Person, principal.person_id)


async def bound_person(
    session: AsyncSession, principal: Principal, *, to: str | None = None
) -> Person:
    """The caller's person, or auth.not_bound; `to` says what binding is needed for."""
    person = await caller_person(session, principal)
    if person is None:
        raise NotBound(f"请先绑定手机号，再{to}。" if to else None)
    return person


async def home_towns(session: AsyncSession, principal: Principal) -> set[int] | None:
    """The towns whose public matters (rota, pledges, cooperatives, honours, published
    proposals) the caller may read: their own and those of their grants; None for a global
    grant. Public within a town is not public across towns."""
    towns = scope_towns(principal, list(Role))
    if towns is None:
        return None
    person = await caller_person(session, principal)
    if person is not None and person.town_id is not None:
        towns.add(person.town_id)
    return towns

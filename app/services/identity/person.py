"""The roster person behind the caller: a WeChat account is bound to one by phone; a console
account may have none."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden
from app.models.roster import Person
from app.services.identity.scopes import Principal


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

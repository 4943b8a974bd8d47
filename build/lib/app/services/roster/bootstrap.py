"""The first superadmin, made from the command line."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.auth import UserAccount
from app.models.base import id_of
from app.models.roster import Person, Role, RoleGrant, ScopeType
from app.services import audit
from app.services.identity import password_hasher


async def create_superadmin(session: AsyncSession, *, username: str, password: str) -> bool:
    """Creates the login, or resets its password if it exists. True when it was created."""
    account = (
        await session.exec(select(UserAccount).where(UserAccount.username == username))
    ).first()
    created = account is None
    if account is None:
        person = Person(name=username)
        session.add(person)
        await session.flush()
        account = UserAccount(person_id=person.id, username=username)
        session.add(account)
    account.password_hash = password_hasher.hash(password)
    await session.flush()
    grant = (
        await session.exec(
            select(RoleGrant).where(
                RoleGrant.person_id == account.person_id, RoleGrant.role == Role.superadmin
            )
        )
    ).first()
    if grant is None:
        assert account.person_id is not None
        session.add(
            RoleGrant(
                person_id=account.person_id,
                role=Role.superadmin,
                scope_type=ScopeType.global_,
            )
        )
    await audit.record(
        session,
        actor=None,
        action="superadmin.create" if created else "superadmin.reset",
        target_type="user_account",
        target_id=id_of(account),
        after={"username": username},
    )
    return created

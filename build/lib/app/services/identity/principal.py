"""Who is calling: the account, its roster person and their grants, in one query.

It runs on every authenticated request, so the statement is built once and carries the names of
the granted scopes too, which spares ``/me`` a second trip, and whether the session was ended:
a logout is kept in the database, so it survives a Redis restart or outage.
"""

from typing import Any

from sqlalchemy import and_, bindparam, exists, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Unauthorized
from app.models.auth import RefreshToken, UserAccount
from app.models.roster import Branch, Grid, Person, Role, RoleGrant, ScopeType, Town, Village
from app.services.identity.scopes import Grant, Home, Principal


def _scope_join(model: Any, scope: ScopeType) -> Any:
    return and_(col(RoleGrant.scope_type) == scope, RoleGrant.scope_id == model.id)


_PRINCIPAL = (
    select(  # type: ignore[call-overload]
        UserAccount.person_id,
        RoleGrant.role,
        RoleGrant.scope_type,
        RoleGrant.scope_id,
        func.coalesce(Town.name, Village.name, Branch.name, Grid.name).label("scope_name"),
        RoleGrant.town_id,
        col(Person.town_id).label("home_town_id"),
        col(Person.village_id).label("home_village_id"),
        col(Person.branch_id).label("home_branch_id"),
        Person.is_party_member,
        col(Person.household_id).label("home_household_id"),
        exists()
        .where(
            col(RefreshToken.family_id) == bindparam("session_id"),
            col(RefreshToken.revoked_at).is_not(None),
        )
        .label("revoked"),
    )
    .select_from(UserAccount)
    .outerjoin(Person, col(Person.id) == UserAccount.person_id)
    .outerjoin(
        RoleGrant,
        and_(
            col(RoleGrant.person_id) == UserAccount.person_id,
            col(RoleGrant.revoked_at).is_(None),
        ),
    )
    .outerjoin(Town, _scope_join(Town, ScopeType.town))
    .outerjoin(Village, _scope_join(Village, ScopeType.village))
    .outerjoin(Branch, _scope_join(Branch, ScopeType.branch))
    .outerjoin(Grid, _scope_join(Grid, ScopeType.grid))
    .where(col(UserAccount.id) == bindparam("account_id"))
    .order_by(RoleGrant.id)
)


class SessionRevoked(Unauthorized):
    code = "auth.session_revoked"
    detail = "您已退出登录，请重新登录。"


async def load_principal(
    session: AsyncSession, *, account_id: int, session_id: str
) -> Principal | None:
    """None for an account that no longer exists; SessionRevoked after a logout (or a reused
    refresh token) ended the session."""
    params = {"account_id": account_id, "session_id": session_id}
    rows = (await session.execute(_PRINCIPAL, params)).all()
    if not rows:
        return None
    if rows[0].revoked:
        raise SessionRevoked()
    grants = tuple(
        Grant(Role(row.role), ScopeType(row.scope_type), row.scope_id, row.scope_name, row.town_id)
        for row in rows
        if row.role is not None
    )
    first = rows[0]
    home = (
        Home(
            first.home_town_id,
            first.home_village_id,
            first.home_branch_id,
            first.is_party_member,
            first.home_household_id,
        )
        if first.person_id is not None
        else None
    )
    return Principal(
        account_id=account_id,
        person_id=first.person_id,
        session_id=session_id,
        grants=grants,
        home=home,
    )

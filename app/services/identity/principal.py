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
from app.models.roster import Branch, Grid, Role, RoleGrant, ScopeType, Town, Village
from app.services.identity.scopes import Grant, Principal


def _scope_join(model: Any, scope: ScopeType) -> Any:
    return and_(col(RoleGrant.scope_type) == scope, RoleGrant.scope_id == model.id)


_PRINCIPAL = (
    select(  # type: ignore[call-overload]
        UserAccount.person_id,
        RoleGrant.role,
        RoleGrant.scope_type,
        RoleGrant.scope_id,
        func.coalesce(Town.name, Village.name, Branch.name, Grid.name),
        RoleGrant.town_id,
        exists()
        .where(
            col(RefreshToken.family_id) == bindparam("session_id"),
            col(RefreshToken.revoked_at).is_not(None),
        )
        .label("revoked"),
    )
    .select_from(UserAccount)
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
        Grant(Role(role), ScopeType(scope_type), scope_id, scope_name, town_id)
        for _, role, scope_type, scope_id, scope_name, town_id, _ in rows
        if role is not None
    )
    return Principal(
        account_id=account_id, person_id=rows[0][0], session_id=session_id, grants=grants
    )

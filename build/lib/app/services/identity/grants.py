"""Who may act somewhere, read from the roster's grants rather than from a caller's token: the
one answer to "may this person handle this village's request / this grid's task", and "whom to
tell". Revoked grants never count, and a grant covers a place by the very rule a caller's own
grants do (``grant_covers``): a town-level branch's admin does not serve a village."""

from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.roster import ADMIN_ROLES, Role, RoleGrant, ScopeType
from app.services.identity.scopes import Grant, Location, grant_covers


def _grant(row: RoleGrant) -> Grant:
    return Grant(Role(row.role), ScopeType(row.scope_type), row.scope_id, town_id=row.town_id)


async def acts_for(
    session: AsyncSession,
    person_id: int,
    where: Location,
    roles: Iterable[Role] = ADMIN_ROLES,
) -> bool:
    """Whether ``person_id`` holds a live grant of ``roles`` that covers ``where``."""
    rows = await session.exec(
        select(RoleGrant).where(
            col(RoleGrant.person_id) == person_id,
            col(RoleGrant.role).in_(list(roles)),
            col(RoleGrant.revoked_at).is_(None),
        )
    )
    return any(grant_covers(_grant(row), where) for row in rows.all())


async def acting_for(
    session: AsyncSession, where: Location, roles: Iterable[Role] = ADMIN_ROLES
) -> list[int]:
    """Everyone with a live grant of ``roles`` that covers ``where``, in grant order."""
    in_town = (
        col(RoleGrant.town_id) == where.town_id
        if where.town_id is not None
        else col(RoleGrant.id).is_not(None)
    )
    rows = await session.exec(
        select(RoleGrant)
        .where(
            col(RoleGrant.role).in_(list(roles)),
            col(RoleGrant.revoked_at).is_(None),
            or_(in_town, col(RoleGrant.scope_type) == ScopeType.global_),
        )
        .order_by(col(RoleGrant.id))
    )
    found: list[int] = []
    for row in rows.all():
        if grant_covers(_grant(row), where) and row.person_id not in found:
            found.append(row.person_id)
    return found

"""A person as the console's person page shows them: where they live and belong, by name,
and the roles they hold; and the revoking of a role."""

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict
from app.models.roster import Branch, Grid, Household, Person, RoleGrant, Village
from app.services import audit
from app.services.identity import Principal, covers, location_of
from app.services.roster.lookup import get_in_scope, not_found


@dataclass(frozen=True, slots=True)
class PersonCard:
    person: Person
    village: Village | None
    household: Household | None
    members: list[Person]
    branch: Branch | None
    grid: Grid | None
    grants: list[RoleGrant]


async def person_card(session: AsyncSession, *, principal: Principal, person_id: int) -> PersonCard:
    person = await get_in_scope(session, principal=principal, model=Person, row_id=person_id)
    household = await session.get(Household, person.household_id) if person.household_id else None
    members = (
        list(
            (
                await session.exec(
                    select(Person)
                    .where(col(Person.household_id) == person.household_id)
                    .order_by(col(Person.id))
                )
            ).all()
        )
        if household
        else []
    )
    grants = (
        await session.exec(
            select(RoleGrant)
            .where(col(RoleGrant.person_id) == person_id, col(RoleGrant.revoked_at).is_(None))
            .order_by(col(RoleGrant.id))
        )
    ).all()
    return PersonCard(
        person=person,
        village=await session.get(Village, person.village_id) if person.village_id else None,
        household=household,
        members=members,
        branch=await session.get(Branch, person.branch_id) if person.branch_id else None,
        grid=await session.get(Grid, person.grid_id) if person.grid_id else None,
        grants=list(grants),
    )


class GrantRevoked(Conflict):
    code = "role_grant.revoked"
    detail = "这项授权已经撤销了。"


async def revoke_role(session: AsyncSession, *, principal: Principal, grant_id: int) -> RoleGrant:
    """Ends a grant from now on (the row stays, with when). Only an admin whose scope covers
    the grant's may revoke it; one outside answers like a grant that does not exist."""
    grant = await session.get(RoleGrant, grant_id, with_for_update=True)
    if grant is None or not covers(principal, location_of(grant)):
        raise not_found(RoleGrant)
    if grant.scope_id is None and not principal.is_superadmin:
        raise not_found(RoleGrant)
    if grant.revoked_at is not None:
        raise GrantRevoked()
    async with audit.change(
        session,
        actor=principal,
        row=grant,
        action="role_grant.revoke",
        target_type="role_grant",
        where=location_of(grant),
    ):
        grant.revoked_at = utcnow()
        session.add(grant)
    return grant

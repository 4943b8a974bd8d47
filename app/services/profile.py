"""Builds the ``/me`` profile: who I am, where I belong, what I may do."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.auth import UserAccount
from app.models.profile import Balances, MeProfile, PlaceRef, RoleView
from app.models.roster import (
    Branch,
    Grid,
    Household,
    Person,
    Role,
    RoleGrant,
    ScopeType,
    Town,
    Village,
)

_SCOPE_MODELS: dict[str, type[Any]] = {
    ScopeType.town.value: Town,
    ScopeType.village.value: Village,
    ScopeType.branch.value: Branch,
    ScopeType.grid.value: Grid,
}


def _ref(row: Any, attr: str = "name") -> PlaceRef | None:
    return PlaceRef(id=row.id, name=getattr(row, attr)) if row is not None else None


async def _get(session: AsyncSession, model: type[Any], row_id: int | None) -> Any:
    return await session.get(model, row_id) if row_id is not None else None


async def build_profile(session: AsyncSession, *, account: UserAccount) -> MeProfile:
    assert account.id is not None
    person = await _get(session, Person, account.person_id)
    roles: list[RoleView] = []
    if person is not None:
        grants = await session.exec(
            select(RoleGrant).where(
                RoleGrant.person_id == person.id, col(RoleGrant.revoked_at).is_(None)
            )
        )
        for grant in grants:
            scope_row = await _get(
                session, _SCOPE_MODELS.get(grant.scope_type, Town), grant.scope_id
            )
            roles.append(
                RoleView(
                    role=Role(grant.role),
                    scope_type=ScopeType(grant.scope_type),
                    scope_id=grant.scope_id,
                    scope_name=scope_row.name if scope_row is not None else None,
                )
            )
    return MeProfile(
        account_id=account.id,
        person_id=account.person_id,
        name=person.name if person else None,
        phone=person.phone if person else None,
        is_bound=person is not None,
        is_party_member=bool(person and person.is_party_member),
        is_mobile_member=bool(person and person.is_mobile_member),
        roles=roles,
        town=_ref(await _get(session, Town, person.town_id if person else None)),
        village=_ref(await _get(session, Village, person.village_id if person else None)),
        branch=_ref(await _get(session, Branch, person.branch_id if person else None)),
        household=_ref(
            await _get(session, Household, person.household_id if person else None), "head_name"
        ),
        grid=_ref(await _get(session, Grid, person.grid_id if person else None)),
        # The points ledger (issue 3) fills these; until then nobody has earned anything.
        balances=Balances(),
    )


async def profile_for(session: AsyncSession, *, account_id: int) -> MeProfile:
    account = await session.get(UserAccount, account_id)
    assert account is not None
    return await build_profile(session, account=account)

"""The supervisors' queue in the demo: village one's first grid worker lives in a household of
their own grid and scores it on site. The score is made by the grid's own service, so the flag
is raised by the ledger as it would be on a phone, not written here."""

from collections.abc import Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.auth import UserAccount
from app.models.grid import ScoreCreate
from app.models.roster import Household, Person, Role, RoleGrant, ScopeType
from app.services.grid import scores
from app.services.identity import Grant, Principal


async def seed_flags(
    session: AsyncSession, *, town_id: int, progress: Callable[[str], None]
) -> None:
    found = (
        await session.exec(
            select(RoleGrant, Person)
            .join(Person, col(Person.id) == col(RoleGrant.person_id))
            .where(col(RoleGrant.town_id) == town_id, col(RoleGrant.role) == Role.grid_worker)
            .order_by(col(RoleGrant.id))
        )
    ).first()
    if found is None:
        return
    grant, worker = found
    home = (
        await session.exec(
            select(Household)
            .where(col(Household.grid_id) == worker.grid_id)
            .order_by(col(Household.id))
        )
    ).first()
    if home is None or worker.id is None or home.id is None:
        return
    worker.household_id = home.id
    account = UserAccount(person_id=worker.id)  # the worker's phone; no console login
    session.add_all([worker, account])
    await session.flush()
    assert account.id is not None
    principal = Principal(
        account_id=account.id,
        person_id=worker.id,
        session_id="demo",
        grants=(Grant(Role.grid_worker, ScopeType.grid, grant.scope_id, town_id=town_id),),
    )
    await scores.score(
        session,
        principal=principal,
        data=ScoreCreate(household_id=home.id, rule_code="labour", note="演示：网格员给自家打分"),
    )
    progress("监督预警：1 条（网格员给自家打分）")

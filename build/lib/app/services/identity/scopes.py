"""The one place that decides whether a user may act on a row, and which rows a list shows.

Every scoped row is placed by a ``Location`` (town, village, branch, grid). A grant covers a
location when the location lies inside the grant's scope; a list is filtered by the same rule
expressed in SQL.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from app.models.roster import (
    ADMIN_ROLES,
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


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    scope_type: ScopeType
    scope_id: int | None
    scope_name: str | None = None
    town_id: int | None = None  # the town the scope lies in (None for global)


@dataclass(frozen=True, slots=True)
class Location:
    town_id: int | None
    village_id: int | None = None
    branch_id: int | None = None
    grid_id: int | None = None


@dataclass(frozen=True, slots=True)
class Home:
    """Where the caller's roster person belongs, read with the principal: the hot paths (a
    check-in, the feed's first page) need no query for the person."""

    town_id: int | None
    village_id: int | None
    branch_id: int | None
    is_party_member: bool
    household_id: int | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a login account, the roster person it is bound to, and that person's grants."""

    account_id: int
    person_id: int | None
    session_id: str
    grants: tuple[Grant, ...] = ()
    home: Home | None = None

    def has_role(self, roles: Iterable[Role]) -> bool:
        wanted = set(roles)
        return any(g.role in wanted for g in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.has_role(ADMIN_ROLES)

    @property
    def is_superadmin(self) -> bool:
        return self.has_role((Role.superadmin,))


def command_line_operator() -> Principal:
    """Whoever runs the `xiangzhi` command on the server: they can already reach the database,
    so the command acts for the whole installation (account 0: no login account)."""
    return Principal(
        account_id=0,
        person_id=None,
        session_id="command-line",
        grants=(Grant(Role.superadmin, ScopeType.global_, None),),
    )


def grant_covers(grant: Grant, where: Location) -> bool:
    match grant.scope_type:
        case ScopeType.global_:
            return True
        case ScopeType.town:
            return where.town_id is not None and where.town_id == grant.scope_id
        case ScopeType.village:
            return where.village_id is not None and where.village_id == grant.scope_id
        case ScopeType.branch:
            return where.branch_id is not None and where.branch_id == grant.scope_id
        case ScopeType.grid:
            return where.grid_id is not None and where.grid_id == grant.scope_id
    return False


def covers(principal: Principal, where: Location, roles: Iterable[Role] = ADMIN_ROLES) -> bool:
    wanted = set(roles)
    return any(g.role in wanted and grant_covers(g, where) for g in principal.grants)


def location_of(row: Any) -> Location:
    """Where a roster-like row sits. Tables name themselves: a village's own id is its village."""
    match row:
        case Town():
            return Location(town_id=row.id)
        case Village():
            return Location(town_id=row.town_id, village_id=row.id)
        case Branch():
            return Location(town_id=row.town_id, village_id=row.village_id, branch_id=row.id)
        case Grid():
            return Location(town_id=row.town_id, village_id=row.village_id, grid_id=row.id)
    return Location(
        town_id=getattr(row, "town_id", None),
        village_id=getattr(row, "village_id", None),
        branch_id=getattr(row, "branch_id", None),
        grid_id=getattr(row, "grid_id", None),
    )


_SELF_SCOPE: dict[type[Any], ScopeType] = {
    Town: ScopeType.town,
    Village: ScopeType.village,
    Branch: ScopeType.branch,
    Grid: ScopeType.grid,
}


def _scope_column(model: type[Any], scope_type: ScopeType) -> Any:
    if _SELF_SCOPE.get(model) == scope_type:
        return model.id
    return getattr(model, f"{scope_type.value}_id", None)


def scope_clause(
    principal: Principal, model: type[Any], roles: Iterable[Role] = ADMIN_ROLES
) -> ColumnElement[bool]:
    """SQL that keeps only the rows of ``model`` that ``principal`` may see through ``roles``."""
    wanted = set(roles)
    terms: list[ColumnElement[bool]] = []
    for grant in principal.grants:
        if grant.role not in wanted:
            continue
        if grant.scope_type is ScopeType.global_:
            return true()
        column = _scope_column(model, grant.scope_type)
        if column is not None:
            terms.append(column == grant.scope_id)
    return or_(*terms) if terms else false()


def scope_towns(principal: Principal, roles: Iterable[Role] = ADMIN_ROLES) -> set[int] | None:
    """The towns the principal's grants lie in, or None when a grant is global. Lists add it as
    a plain ``town_id IN (...)`` beside the scope clause so an index led by town_id serves them."""
    wanted = set(roles)
    towns: set[int] = set()
    for grant in principal.grants:
        if grant.role not in wanted:
            continue
        if grant.scope_type is ScopeType.global_:
            return None
        if grant.town_id is not None:
            towns.add(grant.town_id)
    return towns


SCOPED_MODELS = (Town, Village, Branch, Grid, Household, Person, RoleGrant)

"""Roster rules: towns, villages, branches, grids, households, people, role grants, logins.

Rows outside the caller's scope answer exactly like rows that do not exist (404), so a village
admin never learns of another village's households or people.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.auth import UserAccount
from app.models.roster import (
    ADMIN_ROLES,
    ROLE_SCOPES,
    Branch,
    BranchCreate,
    ConsoleLoginCreate,
    Grid,
    GridCreate,
    Household,
    HouseholdCreate,
    Person,
    PersonCreate,
    PersonUpdate,
    Role,
    RoleGrant,
    RoleGrantCreate,
    ScopeType,
    Town,
    TownCreate,
    TownUpdate,
    Village,
    VillageCreate,
)
from app.services import audit
from app.services.identity import (
    Location,
    Principal,
    covers,
    location_of,
    password_hasher,
    scope_clause,
)
from app.services.kit import Page, keyset_page

Row = TypeVar("Row", bound=SQLModel)

_LABELS: dict[type[Any], tuple[str, str]] = {
    Town: ("town", "镇"),
    Village: ("village", "村"),
    Branch: ("branch", "党支部"),
    Grid: ("grid", "网格"),
    Household: ("household", "农户"),
    Person: ("person", "人员"),
    RoleGrant: ("role_grant", "授权"),
}


def _not_found(model: type[Any]) -> NotFound:
    name, label = _LABELS[model]
    return NotFound(f"找不到该{label}。", code=f"{name}.not_found")


async def get_in_scope(
    session: AsyncSession,
    principal: Principal,
    model: type[Row],
    row_id: int,
    roles: Iterable[Role] = ADMIN_ROLES,
) -> Row:
    row = await session.get(model, row_id)
    if row is None or not covers(principal, location_of(row), roles):
        raise _not_found(model)
    return row


async def list_in_scope(
    session: AsyncSession,
    principal: Principal,
    model: type[Row],
    *,
    limit: int,
    cursor: str | None,
    filters: Iterable[Any] = (),
) -> Page[Row]:
    stmt = select(model).where(scope_clause(principal, model), *filters)
    model_id: Any = model.id  # type: ignore[attr-defined]
    return await keyset_page(session, stmt, order_by=[model_id], limit=limit, cursor=cursor)


async def _created(session: AsyncSession, principal: Principal, row: Row) -> Row:
    name, _ = _LABELS[type(row)]
    await audit.record_created(
        session, actor=principal, row=row, target_type=name, where=location_of(row)
    )
    return row


async def create_town(session: AsyncSession, *, principal: Principal, data: TownCreate) -> Town:
    if not principal.is_superadmin:
        raise Forbidden("只有超级管理员可以新建镇。")
    exists = (await session.exec(select(Town).where(Town.name == data.name))).first()
    if exists is not None:
        raise Conflict("已有同名的镇。", code="town.name_taken")
    return await _created(session, principal, Town(name=data.name))


async def update_town(
    session: AsyncSession, *, principal: Principal, town_id: int, data: TownUpdate
) -> Town:
    town = await get_in_scope(session, principal, Town, town_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "name" in changes and changes["name"] != town.name:
        clash = await session.exec(select(Town).where(Town.name == changes["name"]))
        if clash.first() is not None:
            raise Conflict("已有同名的镇。", code="town.name_taken")
    await audit.record_updated(
        session, actor=principal, row=town, changes=changes, target_type="town", where=location_of
    )
    return town


async def create_village(
    session: AsyncSession, *, principal: Principal, data: VillageCreate
) -> Village:
    town = await get_in_scope(session, principal, Town, data.town_id)
    clash = await session.exec(
        select(Village).where(Village.town_id == town.id, Village.name == data.name)
    )
    if clash.first() is not None:
        raise Conflict("本镇已有同名的村。", code="village.name_taken")
    assert town.id is not None
    return await _created(session, principal, Village(town_id=town.id, name=data.name))


async def create_branch(
    session: AsyncSession, *, principal: Principal, data: BranchCreate
) -> Branch:
    town_id = data.town_id
    if data.village_id is not None:
        village = await get_in_scope(session, principal, Village, data.village_id)
        if village.town_id != town_id:
            raise Unprocessable("该村不属于所填的镇。", code="branch.village_mismatch")
        where = location_of(village)
    else:
        await get_in_scope(session, principal, Town, town_id)
        where = Location(town_id=town_id)
    if not covers(principal, where):
        raise _not_found(Village if data.village_id else Town)
    clash = await session.exec(
        select(Branch).where(Branch.town_id == town_id, Branch.name == data.name)
    )
    if clash.first() is not None:
        raise Conflict("本镇已有同名的党支部。", code="branch.name_taken")
    branch = Branch(town_id=town_id, village_id=data.village_id, name=data.name)
    return await _created(session, principal, branch)


async def create_grid(session: AsyncSession, *, principal: Principal, data: GridCreate) -> Grid:
    village = await get_in_scope(session, principal, Village, data.village_id)
    clash = await session.exec(
        select(Grid).where(Grid.village_id == village.id, Grid.name == data.name)
    )
    if clash.first() is not None:
        raise Conflict("本村已有同名的网格。", code="grid.name_taken")
    assert village.id is not None
    grid = Grid(town_id=village.town_id, village_id=village.id, name=data.name)
    return await _created(session, principal, grid)


async def create_household(
    session: AsyncSession, *, principal: Principal, data: HouseholdCreate
) -> Household:
    village = await get_in_scope(session, principal, Village, data.village_id)
    if data.grid_id is not None:
        grid = await get_in_scope(session, principal, Grid, data.grid_id)
        if grid.village_id != village.id:
            raise Unprocessable("该网格不属于所填的村。", code="household.grid_mismatch")
    assert village.id is not None
    household = Household(
        town_id=village.town_id,
        village_id=village.id,
        grid_id=data.grid_id,
        head_name=data.head_name,
        address=data.address,
    )
    return await _created(session, principal, household)


async def _existing(session: AsyncSession, model: type[Row], row_id: int | None) -> Row | None:
    if row_id is None:
        return None
    row = await session.get(model, row_id)
    if row is None:
        raise _not_found(model)
    return row


async def _place_person(
    session: AsyncSession, principal: Principal, fields: dict[str, Any]
) -> Location:
    """Checks that the person's village, household, branch and grid agree, and fills gaps."""
    household = await _existing(session, Household, fields.get("household_id"))
    grid = await _existing(session, Grid, fields.get("grid_id"))
    known = household or grid
    if fields.get("village_id") is None and known is not None:
        # A household or grid already says which village the person lives in.
        fields["village_id"] = known.village_id
    village = await _existing(session, Village, fields.get("village_id"))
    branch = await _existing(session, Branch, fields.get("branch_id"))
    towns = {r.town_id for r in (village, branch, grid, household) if r is not None}
    if fields.get("town_id") is not None:
        towns.add(fields["town_id"])
    if len(towns) > 1:
        raise Unprocessable(
            "所填的村、党支部、网格或农户不在同一个镇。", code="person.inconsistent"
        )
    if household and village and household.village_id != village.id:
        raise Unprocessable("该农户不属于所填的村。", code="person.inconsistent")
    if grid and village and grid.village_id != village.id:
        raise Unprocessable("该网格不属于所填的村。", code="person.inconsistent")
    if not towns:
        raise Unprocessable("请至少填写人员所在的村或党支部。", code="person.unplaced")
    fields["town_id"] = towns.pop()
    where = Location(
        town_id=fields["town_id"],
        village_id=fields.get("village_id"),
        branch_id=fields.get("branch_id"),
        grid_id=fields.get("grid_id"),
    )
    if not covers(principal, where):
        raise _not_found(Village if village else Branch if branch else Town)
    return where


async def _phone_free(session: AsyncSession, phone: str, person_id: int | None = None) -> None:
    stmt = select(Person.id).where(Person.phone == phone)
    if person_id is not None:
        stmt = stmt.where(Person.id != person_id)
    if (await session.exec(stmt)).first() is not None:
        raise Conflict("该手机号已登记在花名册中。", code="person.phone_taken")


async def create_person(
    session: AsyncSession, *, principal: Principal, data: PersonCreate
) -> Person:
    fields = data.model_dump()
    await _place_person(session, principal, fields)
    await _phone_free(session, data.phone)
    return await _created(session, principal, Person(**fields))


async def update_person(
    session: AsyncSession, *, principal: Principal, person_id: int, data: PersonUpdate
) -> Person:
    person = await get_in_scope(session, principal, Person, person_id)
    keys = ("village_id", "household_id", "branch_id", "grid_id")
    # null clears a placement; for name, phone and flags it means "leave as is".
    changes = {
        k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None or k in keys
    }
    placement = {k: changes.get(k, getattr(person, k)) for k in keys}
    placement["town_id"] = person.town_id
    await _place_person(session, principal, placement)
    if changes.get("phone"):
        await _phone_free(session, changes["phone"], person.id)
    await audit.record_updated(
        session,
        actor=principal,
        row=person,
        changes={**changes, **placement},
        target_type="person",
        where=location_of,
    )
    return person


_SCOPE_MODELS: dict[ScopeType, type[Any]] = {
    ScopeType.town: Town,
    ScopeType.village: Village,
    ScopeType.branch: Branch,
    ScopeType.grid: Grid,
}


async def _scope_location(
    session: AsyncSession, principal: Principal, scope_type: ScopeType, scope_id: int | None
) -> Location:
    if scope_type is ScopeType.global_:
        if scope_id is not None:
            raise Unprocessable("全局范围不需要填写 scope_id。", code="role_grant.scope_invalid")
        return Location(town_id=None)
    if scope_id is None:
        raise Unprocessable("请填写授权范围 scope_id。", code="role_grant.scope_invalid")
    row = await session.get(_SCOPE_MODELS[scope_type], scope_id)
    if row is None:
        if principal.is_superadmin:
            raise NotFound("找不到授权范围对应的单位。", code="role_grant.scope_not_found")
        raise Forbidden("不能授予超出自己管理范围的权限。", code="role_grant.scope_too_wide")
    return location_of(row)


async def grant_role(
    session: AsyncSession, *, principal: Principal, data: RoleGrantCreate
) -> tuple[RoleGrant, bool]:
    """Grants a role; answers the existing grant (and False) when it is already in force."""
    if data.scope_type not in ROLE_SCOPES[data.role]:
        raise Unprocessable(
            f"角色 {data.role.value} 不能用 {data.scope_type.value} 范围授予。",
            code="role_grant.scope_mismatch",
        )
    person = await get_in_scope(session, principal, Person, data.person_id)
    where = await _scope_location(session, principal, data.scope_type, data.scope_id)
    widest_ok = (
        principal.is_superadmin
        if data.scope_type is ScopeType.global_
        else covers(principal, where)
    )
    if not widest_ok:
        raise Forbidden("不能授予超出自己管理范围的权限。", code="role_grant.scope_too_wide")
    existing = (
        await session.exec(
            select(RoleGrant).where(
                RoleGrant.person_id == person.id,
                RoleGrant.role == data.role.value,
                RoleGrant.scope_type == data.scope_type.value,
                RoleGrant.scope_id == data.scope_id,
                col(RoleGrant.revoked_at).is_(None),
            )
        )
    ).first()
    if existing is not None:
        return existing, False
    assert person.id is not None
    grant = RoleGrant(
        person_id=person.id,
        role=data.role.value,
        scope_type=data.scope_type.value,
        scope_id=data.scope_id,
        town_id=where.town_id,
        village_id=where.village_id,
        branch_id=where.branch_id,
        grid_id=where.grid_id,
        granted_by_person_id=principal.person_id,
    )
    return await _created(session, principal, grant), True


async def set_console_login(
    session: AsyncSession, *, principal: Principal, person_id: int, data: ConsoleLoginCreate
) -> UserAccount:
    person = await get_in_scope(session, principal, Person, person_id)
    taken = (
        await session.exec(
            select(UserAccount).where(
                func.lower(UserAccount.username) == data.username.lower(),
                UserAccount.person_id != person.id,
            )
        )
    ).first()
    if taken is not None:
        raise Conflict("该用户名已被使用。", code="person.username_taken")
    account = (
        await session.exec(
            select(UserAccount).where(
                UserAccount.person_id == person.id, col(UserAccount.username).is_not(None)
            )
        )
    ).first()
    if account is None:
        account = UserAccount(person_id=person.id)
        session.add(account)
    account.username = data.username
    account.password_hash = password_hasher.hash(data.password)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="person.set_password",
        target_type="person",
        target_id=person_id,
        where=location_of(person),
        after={"username": data.username},
    )
    return account

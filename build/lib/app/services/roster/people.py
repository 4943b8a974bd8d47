"""People on the roster, where they belong, the roles granted to them and console logins."""

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.auth import UserAccount
from app.models.roster import (
    ROLE_SCOPES,
    Branch,
    ConsoleLoginCreate,
    Grid,
    Household,
    Person,
    PersonCreate,
    PersonUpdate,
    RoleGrant,
    RoleGrantCreate,
    ScopeType,
    Town,
    Village,
)
from app.services import audit
from app.services.identity import (
    Location,
    Principal,
    covers,
    location_of,
    password_hasher,
)
from app.services.roster.lookup import Row, created, get_in_scope, not_found


class Inconsistent(Unprocessable):
    code = "person.inconsistent"
    detail = "所填的村、党支部、网格或农户不在同一个镇。"


class PhoneTaken(Conflict):
    code = "person.phone_taken"
    detail = "该手机号已登记在花名册中。"


class ScopeInvalid(Unprocessable):
    code = "role_grant.scope_invalid"
    detail = "请填写授权范围 scope_id。"


class ScopeMismatch(Unprocessable):
    code = "role_grant.scope_mismatch"
    detail = "角色 … 不能用 … 范围授予。"


class ScopeNotFound(NotFound):
    code = "role_grant.scope_not_found"
    detail = "找不到授权范围对应的单位。"


class ScopeTooWide(Forbidden):
    code = "role_grant.scope_too_wide"
    detail = "不能授予超出自己管理范围的权限。"


class Unplaced(Unprocessable):
    code = "person.unplaced"
    detail = "请至少填写人员所在的村或党支部。"


class UsernameTaken(Conflict):
    code = "person.username_taken"
    detail = "该用户名已被使用。"


async def _existing(session: AsyncSession, model: type[Row], row_id: int | None) -> Row | None:
    if row_id is None:
        return None
    row = await session.get(model, row_id)
    if row is None:
        raise not_found(model)
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
        raise Inconsistent()
    if household and village and household.village_id != village.id:
        raise Inconsistent("该农户不属于所填的村。")
    if grid and village and grid.village_id != village.id:
        raise Inconsistent("该网格不属于所填的村。")
    if branch and village and branch.village_id not in (None, village.id):
        raise Inconsistent("该党支部不属于所填的村。")
    # Grids and households belong to a village, which the checks above tie to the person's;
    # a branch may be the town's own, which a village admin must not fill: it is checked alone.
    if branch is not None and not covers(principal, location_of(branch)):
        raise not_found(Branch)
    if not towns:
        raise Unplaced()
    fields["town_id"] = towns.pop()
    where = Location(
        town_id=fields["town_id"],
        village_id=fields.get("village_id"),
        branch_id=fields.get("branch_id"),
        grid_id=fields.get("grid_id"),
    )
    if not covers(principal, where):
        raise not_found(Village if village else Branch if branch else Town)
    return where


async def _phone_free(session: AsyncSession, phone: str, person_id: int | None = None) -> None:
    stmt = select(Person.id).where(Person.phone == phone)
    if person_id is not None:
        stmt = stmt.where(Person.id != person_id)
    if (await session.exec(stmt)).first() is not None:
        raise PhoneTaken()


async def create_person(
    session: AsyncSession, *, principal: Principal, data: PersonCreate
) -> Person:
    fields = data.model_dump()
    await _place_person(session, principal, fields)
    await _phone_free(session, data.phone)
    return await created(session, principal=principal, row=Person(**fields))


async def update_person(
    session: AsyncSession, *, principal: Principal, person_id: int, data: PersonUpdate
) -> Person:
    person = await get_in_scope(session, principal=principal, model=Person, row_id=person_id)
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
            raise ScopeInvalid("全局范围不需要填写 scope_id。")
        return Location(town_id=None)
    if scope_id is None:
        raise ScopeInvalid()
    row = await session.get(_SCOPE_MODELS[scope_type], scope_id)
    if row is None:
        if principal.is_superadmin:
            raise ScopeNotFound()
        raise ScopeTooWide()
    return location_of(row)


async def grant_role(
    session: AsyncSession, *, principal: Principal, data: RoleGrantCreate
) -> tuple[RoleGrant, bool]:
    """Grants a role; answers the existing grant (and False) when it is already in force."""
    if data.scope_type not in ROLE_SCOPES[data.role]:
        raise ScopeMismatch(f"角色 {data.role.value} 不能用 {data.scope_type.value} 范围授予。")
    person = await get_in_scope(session, principal=principal, model=Person, row_id=data.person_id)
    where = await _scope_location(session, principal, data.scope_type, data.scope_id)
    widest_ok = (
        principal.is_superadmin
        if data.scope_type is ScopeType.global_
        else covers(principal, where)
    )
    if not widest_ok:
        raise ScopeTooWide()
    existing = (
        await session.exec(
            select(RoleGrant).where(
                RoleGrant.person_id == person.id,
                RoleGrant.role == data.role,
                RoleGrant.scope_type == data.scope_type,
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
        role=data.role,
        scope_type=data.scope_type,
        scope_id=data.scope_id,
        town_id=where.town_id,
        village_id=where.village_id,
        branch_id=where.branch_id,
        grid_id=where.grid_id,
        granted_by_person_id=principal.person_id,
    )
    return await created(session, principal=principal, row=grant), True


async def set_console_login(
    session: AsyncSession, *, principal: Principal, person_id: int, data: ConsoleLoginCreate
) -> UserAccount:
    person = await get_in_scope(session, principal=principal, model=Person, row_id=person_id)
    taken = (
        await session.exec(
            select(UserAccount).where(
                func.lower(UserAccount.username) == data.username.lower(),
                UserAccount.person_id != person.id,
            )
        )
    ).first()
    if taken is not None:
        raise UsernameTaken()
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

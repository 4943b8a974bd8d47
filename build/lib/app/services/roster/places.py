"""The places of the roster: towns, villages, branches, grids and households."""

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, Forbidden, Unprocessable
from app.models.roster import (
    Branch,
    BranchCreate,
    Grid,
    GridCreate,
    Household,
    HouseholdCreate,
    Town,
    TownCreate,
    TownUpdate,
    Village,
    VillageCreate,
    VillageUpdate,
)
from app.services import audit
from app.services.identity import (
    Location,
    Principal,
    covers,
    location_of,
    own_town,
    own_village,
)
from app.services.roster.lookup import created, get_in_scope, not_found
from app.services.roster.villages import group_in


class BranchNameTaken(Conflict):
    code = "branch.name_taken"
    detail = "本镇已有同名的党支部。"


class GridMismatch(Unprocessable):
    code = "household.grid_mismatch"
    detail = "该网格不属于所填的村。"


class GridNameTaken(Conflict):
    code = "grid.name_taken"
    detail = "本村已有同名的网格。"


class TownNameTaken(Conflict):
    code = "town.name_taken"
    detail = "已有同名的镇。"


class VillageMismatch(Unprocessable):
    code = "branch.village_mismatch"
    detail = "该村不属于所填的镇。"


class VillageNameTaken(Conflict):
    code = "village.name_taken"
    detail = "本镇已有同名的村。"


async def create_town(session: AsyncSession, *, principal: Principal, data: TownCreate) -> Town:
    if not principal.is_superadmin:
        raise Forbidden("只有超级管理员可以新建镇。")
    exists = (await session.exec(select(Town).where(Town.name == data.name))).first()
    if exists is not None:
        raise TownNameTaken()
    return await created(session, principal=principal, row=Town(name=data.name))


async def update_town(
    session: AsyncSession, *, principal: Principal, town_id: int, data: TownUpdate
) -> Town:
    town = await get_in_scope(session, principal=principal, model=Town, row_id=town_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "name" in changes and changes["name"] != town.name:
        clash = await session.exec(select(Town).where(Town.name == changes["name"]))
        if clash.first() is not None:
            raise TownNameTaken()
    await audit.record_updated(
        session, actor=principal, row=town, changes=changes, target_type="town", where=location_of
    )
    return town


async def create_village(
    session: AsyncSession, *, principal: Principal, data: VillageCreate
) -> Village:
    town = await get_in_scope(
        session, principal=principal, model=Town, row_id=data.town_id or own_town(principal)
    )
    clash = await session.exec(
        select(Village).where(Village.town_id == town.id, Village.name == data.name)
    )
    if clash.first() is not None:
        raise VillageNameTaken()
    assert town.id is not None
    village = Village(town_id=town.id, name=data.name, office_phone=data.office_phone)
    return await created(session, principal=principal, row=village)


async def update_village(
    session: AsyncSession, *, principal: Principal, village_id: int, data: VillageUpdate
) -> Village:
    village = await get_in_scope(session, principal=principal, model=Village, row_id=village_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "name" in changes and changes["name"] != village.name:
        clash = await session.exec(
            select(Village).where(Village.town_id == village.town_id, Village.name == data.name)
        )
        if clash.first() is not None:
            raise VillageNameTaken()
    await audit.record_updated(
        session,
        actor=principal,
        row=village,
        changes=changes,
        target_type="village",
        where=location_of,
    )
    return village


async def create_branch(
    session: AsyncSession, *, principal: Principal, data: BranchCreate
) -> Branch:
    town_id = data.town_id
    if data.village_id is not None:
        village = await get_in_scope(
            session, principal=principal, model=Village, row_id=data.village_id
        )
        town_id = town_id or village.town_id
        if village.town_id != town_id:
            raise VillageMismatch()
        where = location_of(village)
    else:
        town_id = town_id or own_town(principal)
        await get_in_scope(session, principal=principal, model=Town, row_id=town_id)
        where = Location(town_id=town_id)
    if not covers(principal, where):
        raise not_found(Village if data.village_id else Town)
    clash = await session.exec(
        select(Branch).where(Branch.town_id == town_id, Branch.name == data.name)
    )
    if clash.first() is not None:
        raise BranchNameTaken()
    branch = Branch(town_id=town_id, village_id=data.village_id, name=data.name)
    return await created(session, principal=principal, row=branch)


async def create_grid(session: AsyncSession, *, principal: Principal, data: GridCreate) -> Grid:
    village_id = data.village_id or own_village(principal)
    village = await get_in_scope(session, principal=principal, model=Village, row_id=village_id)
    clash = await session.exec(
        select(Grid).where(Grid.village_id == village.id, Grid.name == data.name)
    )
    if clash.first() is not None:
        raise GridNameTaken()
    assert village.id is not None
    grid = Grid(town_id=village.town_id, village_id=village.id, name=data.name)
    return await created(session, principal=principal, row=grid)


async def create_household(
    session: AsyncSession, *, principal: Principal, data: HouseholdCreate
) -> Household:
    village_id = data.village_id or own_village(principal)
    village = await get_in_scope(session, principal=principal, model=Village, row_id=village_id)
    if data.grid_id is not None:
        grid = await get_in_scope(session, principal=principal, model=Grid, row_id=data.grid_id)
        if grid.village_id != village.id:
            raise GridMismatch()
    assert village.id is not None
    if data.villager_group_id is not None:
        await group_in(session, data.villager_group_id, village.id)
    household = Household(
        town_id=village.town_id,
        village_id=village.id,
        grid_id=data.grid_id,
        villager_group_id=data.villager_group_id,
        head_name=data.head_name,
        address=data.address,
    )
    return await created(session, principal=principal, row=household)

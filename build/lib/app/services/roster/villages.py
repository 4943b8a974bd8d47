"""Below and beside a village: its villager groups (村民小组), whose households the roster names,
and the town cadres assigned to it (包村干部), who may sit on its rota and take its requests."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.roster import (
    LiaisonCreate,
    Role,
    Village,
    VillageLiaison,
    VillagerGroup,
    VillagerGroupCreate,
)
from app.services import audit
from app.services.identity import Location, Principal, acts_for, location_of, own_village
from app.services.roster.lookup import get_in_scope

TOWN_ROLES = (Role.superadmin, Role.town_admin)


class GroupNameTaken(Conflict):
    code = "villager_group.name_taken"
    detail = "本村已有同名的村民小组。"


class GroupNotFound(NotFound):
    code = "villager_group.not_found"
    detail = "找不到该村民小组，或不属于这个村。"


class NotTownCadre(Unprocessable):
    code = "liaison.not_town_cadre"
    detail = "包村干部须是本镇的镇管理员。"


async def create_group(
    session: AsyncSession, *, principal: Principal, data: VillagerGroupCreate
) -> VillagerGroup:
    village = await get_in_scope(
        session,
        principal=principal,
        model=Village,
        row_id=data.village_id or own_village(principal),
    )
    clash = await session.exec(
        select(VillagerGroup.id).where(
            col(VillagerGroup.village_id) == village.id, col(VillagerGroup.name) == data.name
        )
    )
    if clash.first() is not None:
        raise GroupNameTaken()
    group = VillagerGroup(town_id=village.town_id, village_id=id_of(village), name=data.name)
    await audit.record_created(
        session, actor=principal, row=group, target_type="villager_group", where=location_of(group)
    )
    return group


async def groups_of(
    session: AsyncSession, *, principal: Principal, village_id: int | None
) -> list[VillagerGroup]:
    village = await get_in_scope(
        session, principal=principal, model=Village, row_id=village_id or own_village(principal)
    )
    found = await session.exec(
        select(VillagerGroup)
        .where(col(VillagerGroup.village_id) == village.id)
        .order_by(col(VillagerGroup.id))
    )
    return list(found.all())


async def group_in(session: AsyncSession, group_id: int, village_id: int) -> VillagerGroup:
    """A group of this village; a group elsewhere is someone else's."""
    group = await session.get(VillagerGroup, group_id)
    if group is None or group.village_id != village_id:
        raise GroupNotFound()
    return group


async def assign_liaison(
    session: AsyncSession, *, principal: Principal, village_id: int, data: LiaisonCreate
) -> VillageLiaison:
    """The town's admins assign one of the town's cadres to the village (once)."""
    village = await get_in_scope(
        session, principal=principal, model=Village, row_id=village_id, roles=TOWN_ROLES
    )
    town = Location(town_id=village.town_id)
    if not await acts_for(session, data.person_id, town, roles=[Role.town_admin]):
        raise NotTownCadre()
    kept = (
        await session.exec(
            select(VillageLiaison).where(
                col(VillageLiaison.village_id) == village.id,
                col(VillageLiaison.person_id) == data.person_id,
            )
        )
    ).first()
    if kept is not None:
        return kept
    liaison = VillageLiaison(
        town_id=village.town_id, village_id=id_of(village), person_id=data.person_id
    )
    await audit.record_created(
        session,
        actor=principal,
        row=liaison,
        target_type="village_liaison",
        where=location_of(liaison),
    )
    return liaison


async def village_people(
    session: AsyncSession, *, principal: Principal, village_id: int | None
) -> tuple[list[VillagerGroup], set[int]]:
    """A village's groups and its liaison cadres, for its admins' page."""
    groups = await groups_of(session, principal=principal, village_id=village_id)
    village = village_id or own_village(principal)
    return groups, await liaisons_of(session, village)


async def liaisons_of(session: AsyncSession, village_id: int) -> set[int]:
    found = await session.exec(
        select(VillageLiaison.person_id).where(col(VillageLiaison.village_id) == village_id)
    )
    return set(found.all())


async def is_liaison(session: AsyncSession, person_id: int, village_id: int) -> bool:
    return person_id in await liaisons_of(session, village_id)

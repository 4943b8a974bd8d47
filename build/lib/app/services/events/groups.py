"""A branch's Party groups (党小组): a leader and members, each member in one group at most; a
党小组会 expects only its group."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.children import rows_by_parent
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.party_life import (
    PartyGroup,
    PartyGroupCreate,
    PartyGroupMember,
    PartyGroupPublic,
    PartyGroupUpdate,
)
from app.models.roster import Branch, Person
from app.services import audit
from app.services.identity import Principal, covers, location_of, scope_clause
from app.services.roster import get_in_scope


class GroupNotFound(NotFound):
    code = "party_group.not_found"
    detail = "找不到该党小组。"


class NotBranchMembers(Unprocessable):
    code = "party_group.not_members"
    detail = "党小组长和组员须是本支部的党员。"


class NameTaken(Conflict):
    code = "party_group.name_taken"
    detail = "本支部已有同名的党小组。"


class InAnotherGroup(Conflict):
    code = "party_group.member_elsewhere"
    detail = "有党员已在本支部的另一个党小组，请先从那个小组移出。"


async def members_of(session: AsyncSession, group_id: int) -> list[int]:
    found = await session.exec(
        select(PartyGroupMember.person_id)
        .where(col(PartyGroupMember.group_id) == group_id)
        .order_by(col(PartyGroupMember.person_id))
    )
    return list(found.all())


async def is_member(session: AsyncSession, group_id: int, person_id: int) -> bool:
    found = await session.exec(
        select(PartyGroupMember.id).where(
            col(PartyGroupMember.group_id) == group_id,
            col(PartyGroupMember.person_id) == person_id,
        )
    )
    return found.first() is not None


async def public(session: AsyncSession, group: PartyGroup) -> PartyGroupPublic:
    return PartyGroupPublic(
        id=id_of(group),
        branch_id=group.branch_id,
        name=group.name,
        leader_id=group.leader_id,
        member_ids=await members_of(session, id_of(group)),
    )


async def _branch_members(session: AsyncSession, branch_id: int, ids: Iterable[int]) -> None:
    wanted = set(ids)
    found = await session.exec(
        select(Person.id).where(
            col(Person.id).in_(wanted),
            col(Person.branch_id) == branch_id,
            col(Person.is_party_member).is_(True),
        )
    )
    if set(found.all()) != wanted:
        raise NotBranchMembers()


async def _set_members(session: AsyncSession, group: PartyGroup, member_ids: Sequence[int]) -> None:
    wanted = sorted({group.leader_id, *member_ids})
    await _branch_members(session, group.branch_id, wanted)
    taken = await session.exec(
        select(PartyGroupMember.person_id).where(
            col(PartyGroupMember.person_id).in_(wanted),
            col(PartyGroupMember.group_id) != id_of(group),
        )
    )
    if taken.first() is not None:
        raise InAnotherGroup()
    await session.exec(delete(PartyGroupMember).where(col(PartyGroupMember.group_id) == group.id))
    session.add_all(PartyGroupMember(group_id=id_of(group), person_id=p) for p in wanted)
    await session.flush()


async def _name_free(session: AsyncSession, branch_id: int, name: str, but: int | None) -> None:
    clash = await session.exec(
        select(PartyGroup.id).where(
            col(PartyGroup.branch_id) == branch_id,
            col(PartyGroup.name) == name,
            col(PartyGroup.id) != (but or 0),
        )
    )
    if clash.first() is not None:
        raise NameTaken()


async def create_group(
    session: AsyncSession, *, principal: Principal, data: PartyGroupCreate
) -> PartyGroupPublic:
    branch = await get_in_scope(session, principal=principal, model=Branch, row_id=data.branch_id)
    await _name_free(session, id_of(branch), data.name, None)
    group = PartyGroup(
        town_id=branch.town_id,
        village_id=branch.village_id,
        branch_id=id_of(branch),
        name=data.name,
        leader_id=data.leader_id,
    )
    session.add(group)
    await session.flush()
    await _set_members(session, group, data.member_ids)
    answer = await public(session, group)
    await audit.record(
        session,
        actor=principal,
        action="party_group.create",
        target_type="party_group",
        target_id=id_of(group),
        where=location_of(group),
        after=answer.model_dump(),
    )
    return answer


async def group_in_scope(
    session: AsyncSession, *, principal: Principal, group_id: int
) -> PartyGroup:
    group = await session.get(PartyGroup, group_id)
    if group is None or not covers(principal, location_of(group)):
        raise GroupNotFound()
    return group


async def update_group(
    session: AsyncSession, *, principal: Principal, group_id: int, data: PartyGroupUpdate
) -> PartyGroupPublic:
    group = await group_in_scope(session, principal=principal, group_id=group_id)
    before = await public(session, group)
    if data.name is not None and data.name != group.name:
        await _name_free(session, group.branch_id, data.name, group.id)
        group.name = data.name
    if data.leader_id is not None:
        group.leader_id = data.leader_id
    members = data.member_ids if data.member_ids is not None else before.member_ids
    await _set_members(session, group, members)
    answer = await public(session, group)
    await audit.record(
        session,
        actor=principal,
        action="party_group.update",
        target_type="party_group",
        target_id=id_of(group),
        where=location_of(group),
        before=before.model_dump(),
        after=answer.model_dump(),
    )
    return answer


async def list_groups(
    session: AsyncSession, *, principal: Principal, branch_id: int | None
) -> list[PartyGroupPublic]:
    stmt: Any = select(PartyGroup).where(scope_clause(principal, PartyGroup))
    if branch_id is not None:
        stmt = stmt.where(col(PartyGroup.branch_id) == branch_id)
    groups = (await session.exec(stmt.order_by(col(PartyGroup.id)).limit(500))).all()
    members = await rows_by_parent(
        session,
        PartyGroupMember.group_id,
        [id_of(g) for g in groups],
        order_by=col(PartyGroupMember.person_id),
    )
    return [
        PartyGroupPublic(
            id=id_of(g),
            branch_id=g.branch_id,
            name=g.name,
            leader_id=g.leader_id,
            member_ids=[m.person_id for m in members[id_of(g)]],
        )
        for g in groups
    ]

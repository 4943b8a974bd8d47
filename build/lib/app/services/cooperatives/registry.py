"""Branch-led cooperatives (支部领办合作社): the registry per branch with industry, leader and
members, and each year's figures, the collective income the contest weighs among them."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.children import children_of
from app.errors import NotFound, Unprocessable
from app.models.base import id_of
from app.models.cooperatives import (
    Cooperative,
    CooperativeCreate,
    CooperativePublic,
    CooperativeReport,
    CooperativeReportCreate,
    CooperativeReportPublic,
)
from app.models.roster import Branch, Person
from app.services import audit
from app.services.identity import (
    Principal,
    caller_person,
    covers,
    home_towns,
    location_of,
)
from app.services.kit import Page, keyset_page
from app.services.roster import get_in_scope, names_of


class CooperativeNotFound(NotFound):
    code = "cooperative.not_found"
    detail = "找不到该合作社。"


class PeopleElsewhere(Unprocessable):
    code = "cooperative.people_elsewhere"
    detail = "带头人和成员须是该党支部所在村（镇级支部：您管辖范围内）登记的人员。"


async def register(
    session: AsyncSession, *, principal: Principal, data: CooperativeCreate
) -> Cooperative:
    branch = await get_in_scope(session, principal=principal, model=Branch, row_id=data.branch_id)
    wanted = {data.leader_person_id, *data.member_person_ids}
    people = (await session.exec(select(Person).where(col(Person.id).in_(wanted)))).all()
    # The branch's own villagers (a town-level branch: people of the town the caller covers):
    # an id from another village would put a stranger's name on this branch's register.
    ours = [
        p
        for p in people
        if p.town_id == branch.town_id
        and (
            p.village_id == branch.village_id
            if branch.village_id is not None
            else covers(principal, location_of(p))
        )
    ]
    if len(ours) != len(wanted):
        raise PeopleElsewhere()
    cooperative = Cooperative(
        town_id=branch.town_id,
        village_id=branch.village_id,
        branch_id=id_of(branch),
        name=data.name,
        industry=data.industry,
        founded_at=data.founded_at,
        leader_person_id=data.leader_person_id,
        member_person_ids=sorted(set(data.member_person_ids)),
    )
    await audit.record_created(
        session,
        actor=principal,
        row=cooperative,
        target_type="cooperative",
        where=location_of(cooperative),
    )
    return cooperative


async def report(
    session: AsyncSession,
    *,
    principal: Principal,
    cooperative_id: int,
    data: CooperativeReportCreate,
) -> tuple[Cooperative, bool]:
    """A year's figures; sent again for the same year, they replace the first (audited)."""
    cooperative = await session.get(Cooperative, cooperative_id)
    if cooperative is None or not covers(principal, location_of(cooperative)):
        raise CooperativeNotFound()
    row = (
        await session.exec(
            select(CooperativeReport)
            .where(
                col(CooperativeReport.cooperative_id) == cooperative_id,
                col(CooperativeReport.year) == data.year,
            )
            .with_for_update()
        )
    ).first()
    before = CooperativeReportPublic.model_validate(row).model_dump() if row else None
    created = row is None
    if row is None:
        row = CooperativeReport(
            cooperative_id=id_of(cooperative),
            town_id=cooperative.town_id,
            branch_id=cooperative.branch_id,
            **data.model_dump(),
        )
    else:
        for name, value in data.model_dump().items():
            setattr(row, name, value)
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="cooperative.report",
        target_type="cooperative",
        target_id=id_of(cooperative),
        where=location_of(cooperative),
        before=before,
        after=data.model_dump(),
    )
    return cooperative, created


async def listing(
    session: AsyncSession,
    *,
    principal: Principal,
    town_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[Cooperative]:
    """A town's cooperatives (the caller's own town by default): public within the town."""
    towns = await home_towns(session, principal)
    if town_id is None:
        person = await caller_person(session, principal)
        town_id = person.town_id if person and person.town_id else next(iter(towns or ()), None)
    if towns is not None and town_id not in towns:
        town_id = None  # another town's registry is not this caller's to read: nothing
    stmt: Any = select(Cooperative).where(col(Cooperative.town_id) == town_id)
    return await keyset_page(
        session, stmt, order_by=[col(Cooperative.id)], limit=limit, cursor=cursor
    )


async def present(
    session: AsyncSession, cooperatives: Sequence[Cooperative]
) -> list[CooperativePublic]:
    ids = [id_of(c) for c in cooperatives]
    reports = await children_of(
        session,
        CooperativeReport.cooperative_id,
        ids,
        shown_as=CooperativeReportPublic,
        order_by=col(CooperativeReport.year),
    )
    leaders = await names_of(session, (c.leader_person_id for c in cooperatives))
    return [
        CooperativePublic(
            id=id_of(c),
            town_id=c.town_id,
            village_id=c.village_id,
            branch_id=c.branch_id,
            name=c.name,
            industry=c.industry,
            founded_at=c.founded_at,
            leader_person_id=c.leader_person_id,
            leader_name=leaders.get(c.leader_person_id, ""),
            members=len(c.member_person_ids),
            reports=reports[id_of(c)],
        )
        for c in cooperatives
    ]

"""亮承诺践诺: each Party member publishes one pledge a year, notes progress on its items with
photos, and is assessed at year end by the branch; a branch's pledges are open to its town."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db.children import children_of
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.contact import (
    AssessmentCreate,
    Pledge,
    PledgeCreate,
    PledgeProgress,
    PledgePublic,
    ProgressCreate,
    ProgressPublic,
)
from app.services import audit, media
from app.services.identity import Principal, bound_person, covers, home_towns, location_of
from app.services.kit import Page, keyset_page
from app.services.roster import names_of


class PledgeExists(Conflict):
    code = "pledge.exists"
    detail = "您今年已经作出承诺，每位党员每年一份。"


class PledgeNotFound(NotFound):
    code = "pledge.not_found"
    detail = "找不到该承诺。"


class NotAMember(Unprocessable):
    code = "pledge.not_a_member"
    detail = "只有党员才能作出承诺。"


class NoSuchItem(Unprocessable):
    code = "pledge.no_such_item"
    detail = "承诺里没有这一项。"


async def make_pledge(session: AsyncSession, *, principal: Principal, data: PledgeCreate) -> Pledge:
    person = await bound_person(session, principal, to="作出承诺")
    if not person.is_party_member or person.town_id is None:
        raise NotAMember()
    taken = (
        await session.exec(
            select(Pledge.id).where(
                col(Pledge.person_id) == person.id, col(Pledge.year) == data.year
            )
        )
    ).first()
    if taken is not None:
        raise PledgeExists()
    items = [item.strip()[:200] for item in data.items if item.strip()]
    if not items:
        raise NoSuchItem("承诺至少要有一项内容。")
    pledge = Pledge(
        town_id=person.town_id,
        village_id=person.village_id,
        branch_id=person.branch_id,
        person_id=id_of(person),
        year=data.year,
        items=items,
    )
    session.add(pledge)
    await session.flush()
    return pledge


async def add_progress(
    session: AsyncSession, *, principal: Principal, pledge_id: int, data: ProgressCreate
) -> Pledge:
    person = await bound_person(session, principal, to="记录践诺")
    pledge = await session.get(Pledge, pledge_id)
    if pledge is None or pledge.person_id != person.id:
        raise PledgeNotFound()
    if data.item_index >= len(pledge.items):
        raise NoSuchItem(f"承诺只有 {len(pledge.items)} 项（item_index 从 0 数起）。")
    await media.require_own(session, principal=principal, media_ids=data.media_ids)
    session.add(
        PledgeProgress(
            pledge_id=id_of(pledge),
            item_index=data.item_index,
            note=data.note,
            media_ids=list(data.media_ids),
        )
    )
    await session.flush()
    return pledge


async def assess(
    session: AsyncSession, *, principal: Principal, pledge_id: int, data: AssessmentCreate
) -> Pledge:
    """The branch's year-end word on a pledge; it sits beside the democratic review."""
    pledge = await session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None or not covers(principal, location_of(pledge)):
        raise PledgeNotFound()
    before = {"grade": pledge.grade, "note": pledge.assessment_note}
    pledge.grade, pledge.assessment_note = data.grade, data.note
    pledge.assessed_by_person_id, pledge.assessed_at = principal.person_id, utcnow()
    session.add(pledge)
    await audit.record(
        session,
        actor=principal,
        action="pledge.assess",
        target_type="pledge",
        target_id=id_of(pledge),
        where=location_of(pledge),
        before=before,
        after={"grade": data.grade, "note": data.note},
    )
    await session.flush()
    return pledge


async def published(
    session: AsyncSession,
    *,
    principal: Principal,
    branch_id: int | None,
    year: int | None,
    limit: int,
    cursor: str | None,
) -> Page[Pledge]:
    """The pledges of the caller's town (public within it), by branch and year."""
    towns = await home_towns(session, principal)
    stmt: Any = select(Pledge)
    if towns is not None:
        stmt = stmt.where(col(Pledge.town_id).in_(towns))
    if branch_id is not None:
        stmt = stmt.where(col(Pledge.branch_id) == branch_id)
    if year is not None:
        stmt = stmt.where(col(Pledge.year) == year)
    return await keyset_page(
        session, stmt, order_by=[col(Pledge.id)], limit=limit, cursor=cursor, descending=True
    )


async def present(session: AsyncSession, pledges: Sequence[Pledge]) -> list[PledgePublic]:
    ids = [id_of(p) for p in pledges]
    progress = await children_of(session, PledgeProgress.pledge_id, ids, shown_as=ProgressPublic)
    names = await names_of(session, (p.person_id for p in pledges))
    return [
        PledgePublic(
            id=id_of(p),
            person_id=p.person_id,
            name=names.get(p.person_id, ""),
            branch_id=p.branch_id,
            year=p.year,
            items=p.items,
            progress=progress[id_of(p)],
            grade=p.grade,
            assessment_note=p.assessment_note,
            created_at=p.created_at,
        )
        for p in pledges
    ]

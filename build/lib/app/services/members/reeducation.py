"""Re-education (回炉教育) that ends: a member on the year's list below the stars the town sets
is enrolled with a plan (study items, a talk), each item is recorded done, and the branch closes
it with a conclusion that the next star review shows."""

from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import china_today, utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.members import (
    PlanItem,
    Reeducation,
    ReeducationCreate,
    ReeducationPublic,
    ReeducationStatus,
)
from app.services import audit
from app.services.identity import Principal, covers, location_of, scope_clause
from app.services.kit import Page, keyset_page
from app.services.members.files import member_in_scope
from app.services.points import stars


class NotListed(Unprocessable):
    code = "reeducation.not_listed"
    detail = "该党员不在这一年度的回炉教育名单上（星级不低于规定）。"


class Exists(Conflict):
    code = "reeducation.exists"
    detail = "该党员这一年度的回炉教育已经建立。"


class ReeducationNotFound(NotFound):
    code = "reeducation.not_found"
    detail = "找不到该回炉教育记录。"


class ItemNotFound(NotFound):
    code = "reeducation.item_not_found"
    detail = "计划里没有这一项。"


class Closed(Conflict):
    code = "reeducation.closed"
    detail = "回炉教育已结束。"


class ItemsOpen(Conflict):
    code = "reeducation.items_open"
    detail = "计划中还有事项没有完成，不能结束。"


def public(row: Reeducation) -> ReeducationPublic:
    return ReeducationPublic(
        id=id_of(row),
        person_id=row.person_id,
        branch_id=row.branch_id,
        year=row.year,
        plan=[
            PlanItem(
                text=str(item["text"]),
                done_at=date.fromisoformat(item["done_at"]) if item.get("done_at") else None,
                note=item.get("note"),
            )
            for item in row.plan
        ],
        status=ReeducationStatus(row.status),
        conclusion=row.conclusion,
        closed_at=row.closed_at,
    )


async def enrol(
    session: AsyncSession, *, principal: Principal, data: ReeducationCreate
) -> Reeducation:
    person = await member_in_scope(session, principal=principal, person_id=data.person_id)
    board = await stars.member_stars(
        session,
        principal=principal,
        year=data.year,
        branch_id=person.branch_id,
        re_education=True,
    )
    if person.id not in {m.person_id for m in board.items}:
        raise NotListed()
    kept = await session.exec(
        select(Reeducation.id).where(
            col(Reeducation.person_id) == person.id, col(Reeducation.year) == data.year
        )
    )
    if kept.first() is not None:
        raise Exists()
    row = Reeducation(
        person_id=id_of(person),
        town_id=person.town_id,
        village_id=person.village_id,
        branch_id=person.branch_id,
        year=data.year,
        plan=[{"text": text, "done_at": None, "note": None} for text in data.plan],
    )
    await audit.record_created(
        session, actor=principal, row=row, target_type="reeducation", where=location_of(row)
    )
    return row


async def _open(session: AsyncSession, principal: Principal, reeducation_id: int) -> Reeducation:
    row = await session.get(Reeducation, reeducation_id, with_for_update=True)
    if row is None or not covers(principal, location_of(row)):
        raise ReeducationNotFound()
    if row.status == ReeducationStatus.closed:
        raise Closed()
    return row


async def item_done(
    session: AsyncSession,
    *,
    principal: Principal,
    reeducation_id: int,
    index: int,
    note: str | None,
) -> Reeducation:
    """``index`` counts the plan's items from 0; doing one again keeps its first date."""
    row = await _open(session, principal, reeducation_id)
    if not 0 <= index < len(row.plan):
        raise ItemNotFound()
    if row.plan[index].get("done_at"):
        return row
    async with audit.change(
        session,
        actor=principal,
        row=row,
        action="reeducation.item_done",
        target_type="reeducation",
        where=location_of(row),
    ):
        plan = [dict(item) for item in row.plan]
        plan[index] = {**plan[index], "done_at": china_today().isoformat(), "note": note}
        row.plan = plan  # a new list: the JSON column sees the change
    return row


async def close(
    session: AsyncSession, *, principal: Principal, reeducation_id: int, conclusion: str
) -> Reeducation:
    row = await _open(session, principal, reeducation_id)
    if any(not item.get("done_at") for item in row.plan):
        raise ItemsOpen()
    async with audit.change(
        session,
        actor=principal,
        row=row,
        action="reeducation.close",
        target_type="reeducation",
        where=location_of(row),
    ):
        row.status = ReeducationStatus.closed
        row.conclusion = conclusion
        row.closed_at = utcnow()
    return row


async def listing(
    session: AsyncSession,
    *,
    principal: Principal,
    year: int | None,
    limit: int,
    cursor: str | None,
) -> Page[Reeducation]:
    stmt: Any = select(Reeducation).where(scope_clause(principal, Reeducation))
    if year is not None:
        stmt = stmt.where(col(Reeducation.year) == year)
    return await keyset_page(
        session, stmt, order_by=[Reeducation.id], limit=limit, cursor=cursor, descending=True
    )

"""The supervision committee's objections (村务监督委员会): a supervisor of the village files one
on a proposal at any stage; the village admins must answer it; open ones wait on the dashboard."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound
from app.models.base import id_of
from app.models.proposals import Objection, ObjectionAnswer, ObjectionCreate, Proposal
from app.models.roster import Role
from app.services import audit
from app.services.identity import Location, Principal, covers, location_of, scope_clause
from app.services.kit import Page, keyset_page
from app.services.proposals.proposals import ProposalNotFound


class ObjectionNotFound(NotFound):
    code = "objection.not_found"
    detail = "找不到该监督意见。"


class AlreadyAnswered(Conflict):
    code = "objection.already_answered"
    detail = "这条监督意见已经答复过了。"


async def file(
    session: AsyncSession, *, principal: Principal, proposal_id: int, data: ObjectionCreate
) -> Objection:
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None or not covers(principal, location_of(proposal), [Role.supervisor]):
        raise ProposalNotFound()
    objection = Objection(
        proposal_id=id_of(proposal),
        town_id=proposal.town_id,
        village_id=proposal.village_id,
        person_id=principal.person_id,
        reason=data.reason,
    )
    await audit.record_created(
        session,
        actor=principal,
        row=objection,
        target_type="objection",
        where=location_of(proposal),
    )
    return objection


async def answer(
    session: AsyncSession, *, principal: Principal, objection_id: int, data: ObjectionAnswer
) -> Objection:
    objection = await session.get(Objection, objection_id, with_for_update=True)
    where = (
        Location(town_id=objection.town_id, village_id=objection.village_id) if objection else None
    )
    if objection is None or where is None or not covers(principal, where):
        raise ObjectionNotFound()
    if objection.answer is not None:
        raise AlreadyAnswered()
    objection.answer = data.answer
    objection.answered_by_person_id = principal.person_id
    objection.answered_at = utcnow()
    session.add(objection)
    await audit.record(
        session,
        actor=principal,
        action="objection.answer",
        target_type="objection",
        target_id=id_of(objection),
        where=where,
        after={"answer": data.answer},
    )
    await session.flush()
    return objection


def open_query(*, principal: Principal) -> Any:
    """Objections not yet answered, in the villages the caller administers."""
    return select(Objection).where(
        scope_clause(principal, Objection), col(Objection.answer).is_(None)
    )


async def waiting(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[Objection]:
    return await keyset_page(
        session,
        open_query(principal=principal),
        order_by=[col(Objection.id)],
        limit=limit,
        cursor=cursor,
    )

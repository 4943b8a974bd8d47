"""A proposal as it is read: every step with its date and votes, and the supervisors'
objections with the village's answers."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.children import children_of
from app.models.base import id_of
from app.models.proposals import (
    Objection,
    ObjectionPublic,
    Proposal,
    ProposalPublic,
    ProposalStep,
    StepView,
)


async def present(session: AsyncSession, proposals: Sequence[Proposal]) -> list[ProposalPublic]:
    ids = [id_of(p) for p in proposals]
    steps = await children_of(session, ProposalStep.proposal_id, ids, shown_as=StepView)
    objections = await children_of(session, Objection.proposal_id, ids, shown_as=ObjectionPublic)
    return [
        ProposalPublic(
            id=id_of(p),
            village_id=p.village_id,
            title=p.title,
            content=p.content,
            stage=p.stage,
            resolution_post_id=p.resolution_post_id,
            result_post_id=p.result_post_id,
            created_at=p.created_at,
            steps=steps[id_of(p)],
            objections=objections[id_of(p)],
        )
        for p in proposals
    ]

"""A proposal as it is read: every step with its date and votes, and the supervisors'
objections with the village's answers."""

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

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
    steps: dict[int, list[StepView]] = {i: [] for i in ids}
    objections: dict[int, list[ObjectionPublic]] = {i: [] for i in ids}
    if ids:
        for step in (
            await session.exec(
                select(ProposalStep)
                .where(col(ProposalStep.proposal_id).in_(ids))
                .order_by(col(ProposalStep.id))
            )
        ).all():
            steps[step.proposal_id].append(StepView.model_validate(step))
        for objection in (
            await session.exec(
                select(Objection)
                .where(col(Objection.proposal_id).in_(ids))
                .order_by(col(Objection.id))
            )
        ).all():
            objections[objection.proposal_id].append(ObjectionPublic.model_validate(objection))
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

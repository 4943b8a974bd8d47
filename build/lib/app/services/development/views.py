"""A development case as the console reads it: where it stands, what is next and by when."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.base import id_of
from app.models.development import CasePublic, CaseStepPublic, DevelopmentCase
from app.services.development.cases import next_due, steps_of, today
from app.services.development.steps import STEPS
from app.services.roster import names_of


async def present(session: AsyncSession, cases: Sequence[DevelopmentCase]) -> list[CasePublic]:
    ids = [id_of(c) for c in cases]
    done = await steps_of(session, ids)
    names = await names_of(session, (c.person_id for c in cases))
    answers = []
    for case in cases:
        steps = done[id_of(case)]
        due, kind = next_due(case, {s.step: s for s in steps})
        answers.append(
            CasePublic(
                id=id_of(case),
                person_id=case.person_id,
                name=names.get(case.person_id, ""),
                branch_id=case.branch_id,
                applied_at=case.applied_at,
                stage=case.stage,
                next_step=STEPS[case.done_steps].code if case.done_steps < len(STEPS) else None,
                due_at=due,
                due_kind=kind,
                overdue=kind == "deadline" and due is not None and due < today(),
                notice_post_id=case.notice_post_id,
                steps=[CaseStepPublic.model_validate(s) for s in steps],
                created_at=case.created_at,
            )
        )
    return answers

"""Late steps of the 525 procedure, reminded to the admins of the case's branch: once per case
and step (the talk a month after the application, the approval three months after the
congress), however often the job runs."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.base import id_of
from app.models.development import DevelopmentCase
from app.models.notifications import NotificationKind
from app.models.roster import Person, Role
from app.services.development.cases import next_due, steps_of
from app.services.development.steps import STEPS
from app.services.identity import Location, acting_for
from app.services.notifications import notify


async def remind_overdue(session: AsyncSession, *, now: datetime) -> int:
    today = to_china(now).date()
    cases = (
        await session.exec(
            select(DevelopmentCase).where(col(DevelopmentCase.done_steps) < len(STEPS))
        )
    ).all()
    done = await steps_of(session, [id_of(c) for c in cases])
    told = 0
    for case in cases:
        due, kind = next_due(case, {s.step: s for s in done[id_of(case)]})
        if kind != "deadline" or due is None or due >= today:
            continue
        branch = Location(town_id=case.town_id, branch_id=case.branch_id)
        admins = await acting_for(session, branch, [Role.branch_admin])
        person = await session.get(Person, case.person_id)
        step = STEPS[case.done_steps]
        told += await notify(
            session,
            people=list(admins),
            kind=NotificationKind.development_overdue,
            target=("development_case", id_of(case)),
            occasion=step.code[:16],
            title="发展党员步骤已超期",
            body=f"{person.name if person else ''}的“{step.title}”应于 {due:%Y年%m月%d日} 前完成。",
            values={"name": step.title, "time": due.isoformat(), "status": "已超期"},
        )
    return told

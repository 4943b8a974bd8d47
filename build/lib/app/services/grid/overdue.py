"""Grid tasks past their due time and still open: the grid worker who has it told once."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.grid import GridTask
from app.models.notifications import NotificationKind
from app.services.grid import flow as grid_flow
from app.services.notifications import notify


async def notify_overdue(session: AsyncSession, *, now: datetime) -> int:
    late = (
        await session.exec(
            select(GridTask).where(
                col(GridTask.status).in_(grid_flow.OPEN),
                col(GridTask.due_at) < now,
                col(GridTask.assignee_person_id).is_not(None),
            )
        )
    ).all()
    told = 0
    for task in late:
        assert task.assignee_person_id is not None and task.id is not None
        told += await notify(
            session,
            people=[task.assignee_person_id],
            kind=NotificationKind.grid_task_overdue,
            target=("grid_task", task.id),
            title="网格任务已超期",
            body=f"“{task.title}”应于 {to_china(task.due_at):%m月%d日 %H:%M} 前办结，请尽快处理。",
            values={"name": task.title, "time": task.due_at, "status": "已超期"},
        )
    return told

"""What a task looks like to the phone and the console: its photos as URLs, whether it is
overdue, and on request every step it went through."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.models.base import id_of
from app.models.grid import (
    GridTask,
    GridTaskTransition,
    Priority,
    Resemblance,
    TaskCategory,
    TaskMedia,
    TaskOrigin,
    TaskPublic,
    TaskStatus,
    TransitionPublic,
)
from app.models.media import Media
from app.services.grid import flow as grid_flow
from app.services.kit import Storage, address


def is_overdue(task: GridTask) -> bool:
    return TaskStatus(task.status) in grid_flow.OPEN and task.due_at < utcnow()


def _media(ids: list[int], media: dict[int, Media], storage: Storage) -> list[TaskMedia]:
    return [
        TaskMedia(
            id=i,
            url=address(storage, media[i].display_key),
            thumb_url=address(storage, media[i].thumb_key),
        )
        for i in ids
        if i in media
    ]


async def present(
    session: AsyncSession,
    tasks: list[GridTask],
    storage: Storage,
    *,
    with_transitions: bool = False,
) -> list[TaskPublic]:
    steps: list[GridTaskTransition] = []
    if with_transitions and tasks:
        steps = list(
            (
                await session.exec(
                    select(GridTaskTransition)
                    .where(col(GridTaskTransition.task_id).in_([t.id for t in tasks]))
                    .order_by(col(GridTaskTransition.id))
                )
            ).all()
        )
    ids = {m for t in tasks for m in t.media_ids} | {m for s in steps for m in s.media_ids}
    media = (
        {
            id_of(m): m
            for m in (await session.exec(select(Media).where(col(Media.id).in_(ids)))).all()
        }
        if ids
        else {}
    )
    answers = []
    for task in tasks:
        transitions = None
        if with_transitions:
            transitions = [
                TransitionPublic(
                    action=s.action,
                    from_status=TaskStatus(s.from_status) if s.from_status else None,
                    to_status=TaskStatus(s.to_status),
                    actor_person_id=s.actor_person_id,
                    note=s.note,
                    media=_media(s.media_ids, media, storage),
                    created_at=s.created_at,
                )
                for s in steps
                if s.task_id == task.id
            ]
        answers.append(
            TaskPublic(
                id=id_of(task),
                origin=TaskOrigin(task.origin),
                category=TaskCategory(task.category),
                title=task.title,
                description=task.description,
                lat=task.lat,
                lng=task.lng,
                priority=Priority(task.priority),
                due_at=task.due_at,
                overdue=is_overdue(task),
                status=TaskStatus(task.status),
                town_id=task.town_id,
                village_id=task.village_id,
                grid_id=task.grid_id,
                reporter_person_id=task.reporter_person_id,
                assignee_person_id=task.assignee_person_id,
                media=_media(task.media_ids, media, storage),
                needs_review=bool(task.resembles),
                resembles=[Resemblance.model_validate(r) for r in task.resembles],
                resolved_at=task.resolved_at,
                closed_at=task.closed_at,
                created_at=task.created_at,
                updated_at=task.updated_at,
                transitions=transitions,
            )
        )
    return answers

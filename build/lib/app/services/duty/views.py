"""Service requests as the phone and the console read them: the handler's name, whether it is
overdue, and every step it went through."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db.children import children_of
from app.models.base import id_of
from app.models.duty import (
    Handler,
    ServiceRequest,
    ServiceRequestPublic,
    ServiceStep,
    StepPublic,
)
from app.services.duty.requests import OPEN
from app.services.roster import names_of


async def present(
    session: AsyncSession, requests: Sequence[ServiceRequest]
) -> list[ServiceRequestPublic]:
    ids = [id_of(r) for r in requests]
    names = await names_of(session, (r.handler_person_id for r in requests))
    steps = await children_of(session, ServiceStep.request_id, ids, shown_as=StepPublic)
    now = utcnow()
    return [
        ServiceRequestPublic(
            id=id_of(r),
            village_id=r.village_id,
            requester_person_id=r.requester_person_id,
            kind=r.kind,
            title=r.title,
            description=r.description,
            media_ids=r.media_ids,
            status=r.status,
            handler=(
                Handler(person_id=r.handler_person_id, name=names.get(r.handler_person_id, ""))
                if r.handler_person_id is not None
                else None
            ),
            due_at=r.due_at,
            overdue=r.status in OPEN and r.due_at < now,
            created_at=r.created_at,
            done_at=r.done_at,
            rating=r.rating,
            rating_comment=r.rating_comment,
            steps=steps[id_of(r)],
        )
        for r in requests
    ]

"""The morning's queues as the console shows them: for each, the list the API pages through,
how one item is drawn as a table row, and the decisions the API allows on it. Every call is
the JSON router's own service call; the console adds no rule of its own."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from app.console.render import enum_label, when
from app.models.base import id_of
from app.models.dashboard import Queues
from app.models.duty import ServiceAction, ServiceTransition
from app.models.events import LeaveDecision
from app.models.feed import ReviewDecision
from app.models.points import AppealDecision, AppealDecisionKind
from app.models.proposals import ObjectionAnswer
from app.services import feed
from app.services.duty import requests as service_requests
from app.services.duty import views as service_views
from app.services.events import checkins, leave
from app.services.events import queues as event_queues
from app.services.identity import Principal
from app.services.kit import Storage
from app.services.points import appeals, awards
from app.services.proposals import objections
from app.services.roster import names_of


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    cells: list[str]
    photos: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    needs_note: bool = False


Lister = Callable[
    [AsyncSession, Principal, Storage, str | None], Awaitable[tuple[list[Row], str | None]]
]
Decider = Callable[[AsyncSession, Principal, int, str, str | None], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Queue:
    slug: str
    title: str
    count_field: str
    headers: tuple[str, ...]
    choices: tuple[Choice, ...]
    rows: Lister
    decide: Decider
    bulk: bool = False
    note_label: str = "理由或说明（可不填）"


PAGE = 50


async def _names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    return await names_of(session, ids)


# -- points awaiting approval ---------------------------------------------------------------


async def _points_rows(
    session: AsyncSession, principal: Principal, storage: Storage, cursor: str | None
) -> tuple[list[Row], str | None]:
    page = await awards.pending(session, principal=principal, limit=PAGE, cursor=cursor)
    rows = [
        Row(
            id_of(e),
            [
                e.title,
                f"{e.points:+d}",
                e.note or "",
                f"{len(e.media_ids)} 张" if e.media_ids else "—",
                when(e.created_at),
            ],
        )
        for e in page.items
    ]
    return rows, page.next_cursor


async def _points_decide(
    session: AsyncSession, principal: Principal, item_id: int, decision: str, note: str | None
) -> object:
    return await decide_points_together(session, principal, [item_id], decision, note)


async def decide_points_together(
    session: AsyncSession, principal: Principal, ids: list[int], decision: str, note: str | None
) -> object:
    """Several entries at once, all or nothing, as ``POST /admin/points/decisions`` does."""
    return await awards.decide(
        session, principal=principal, entry_ids=ids, approve=decision == "approve", note=note
    )


# -- posts awaiting review --------------------------------------------------------------------


async def _posts_rows(
    session: AsyncSession, principal: Principal, storage: Storage, cursor: str | None
) -> tuple[list[Row], str | None]:
    page = await feed.review_queue(session, principal=principal, limit=PAGE, cursor=cursor)
    shown = await feed.present(session, page.items, storage)
    rows = [
        Row(
            p.id,
            [p.title, enum_label(p.category), p.body[:120], when(p.created_at)],
            [m.url for m in p.media],
        )
        for p in shown
    ]
    return rows, page.next_cursor


async def _posts_decide(
    session: AsyncSession, principal: Principal, item_id: int, decision: str, note: str | None
) -> object:
    data = ReviewDecision(decision=decision, reason=note)
    return await feed.review(session, principal=principal, post_id=item_id, data=data)


# -- appeals --------------------------------------------------------------------------------


async def _appeal_rows(
    session: AsyncSession, principal: Principal, storage: Storage, cursor: str | None
) -> tuple[list[Row], str | None]:
    page = await appeals.list_appeals(
        session, principal=principal, status="open", limit=PAGE, cursor=cursor
    )
    names = await _names(session, [a.person_id for a in page.items])
    rows = [
        Row(
            id_of(a),
            [names.get(a.person_id, "—"), f"积分记录 {a.entry_id}", a.reason, when(a.created_at)],
        )
        for a in page.items
    ]
    return rows, page.next_cursor


async def _appeal_decide(
    session: AsyncSession, principal: Principal, item_id: int, decision: str, note: str | None
) -> object:
    data = AppealDecision(decision=AppealDecisionKind(decision), note=note or "")
    return await appeals.decide(session, principal=principal, appeal_id=item_id, data=data)


# -- leave requests -------------------------------------------------------------------------


async def _leave_rows(
    session: AsyncSession, principal: Principal, storage: Storage, cursor: str | None
) -> tuple[list[Row], str | None]:
    page = await event_queues.pending_leave(session, principal=principal, limit=PAGE, cursor=cursor)
    names = await _names(session, [r.person_id for r in page.items])
    rows = [
        Row(
            id_of(r),
            [names.get(r.person_id, "—"), f"活动 {r.event_id}", r.reason, when(r.created_at)],
        )
        for r in page.items
    ]
    return rows, page.next_cursor


async def _leave_decide(
    session: AsyncSession, principal: Principal, item_id: int, decision: str, note: str | None
) -> object:
    data = LeaveDecision(decision=decision, note=note)  # type: ignore[arg-type]
    return await leave.decide(session, principal=principal, leave_id=item_id, data=data)


# -- check-ins held for review ----------------------------------------------------------------


async def _checkin_rows(
    session: AsyncSession, principal: Principal, storage: Storage, cursor: str | None
) -> tuple[list[Row], str | None]:
    page = await event_queues.checkins_to_review(
        session, principal=principal, limit=PAGE, cursor=cursor
    )
    names = await _names(session, [a.person_id for a in page.items])
    rows = [
        Row(
            id_of(a),
            [
                names.get(a.person_id, "—"),
                f"活动 {a.event_id}",
                "—" if a.distance_m is None else f"{a.distance_m:.0f} 米",
                "离线补传" if a.queued_offline else "现场",
                when(a.scanned_at),
            ],
        )
        for a in page.items
    ]
    return rows, page.next_cursor


async def _checkin_decide(
    session: AsyncSession, principal: Principal, item_id: int, decision: str, note: str | None
) -> object:
    return await checkins.review(
        session,
        principal=principal,
        attendance_id=item_id,
        accept=decision == "accept",
        note=note,
    )


# -- service requests -------------------------------------------------------------------------


async def _service_rows(
    session: AsyncSession, principal: Principal, storage: Storage, cursor: str | None
) -> tuple[list[Row], str | None]:
    page = await service_requests.desk(
        session, principal=principal, status="open", limit=PAGE, cursor=cursor
    )
    shown = await service_views.present(session, page.items)
    names = await _names(session, [r.requester_person_id for r in shown])
    rows = [
        Row(
            r.id,
            [
                names.get(r.requester_person_id, "—"),
                f"{enum_label(r.kind)}：{r.title}",
                enum_label(r.status),
                r.handler.name if r.handler else "—",
                ("已超期 " if r.overdue else "") + when(r.due_at),
            ],
        )
        for r in shown
    ]
    return rows, page.next_cursor


async def _service_decide(
    session: AsyncSession, principal: Principal, item_id: int, decision: str, note: str | None
) -> object:
    data = ServiceTransition(action=ServiceAction(decision), note=note)
    return await service_requests.transition(
        session, principal=principal, request_id=item_id, data=data
    )


# -- supervisors' objections ------------------------------------------------------------------


async def _objection_rows(
    session: AsyncSession, principal: Principal, storage: Storage, cursor: str | None
) -> tuple[list[Row], str | None]:
    page = await objections.waiting(session, principal=principal, limit=PAGE, cursor=cursor)
    rows = [
        Row(id_of(o), [f"议题 {o.proposal_id}", o.reason, when(o.created_at)]) for o in page.items
    ]
    return rows, page.next_cursor


async def _objection_decide(
    session: AsyncSession, principal: Principal, item_id: int, decision: str, note: str | None
) -> object:
    data = ObjectionAnswer(answer=note or "")
    return await objections.answer(session, principal=principal, objection_id=item_id, data=data)


_APPROVE = Choice("approve", "通过")
_REJECT = Choice("reject", "驳回", needs_note=True)

QUEUES: dict[str, Queue] = {
    q.slug: q
    for q in (
        Queue(
            "points",
            "待审核积分",
            "points_pending",
            ("事项", "积分", "说明", "照片", "申报时间"),
            (_APPROVE, _REJECT),
            _points_rows,
            _points_decide,
            bulk=True,
        ),
        Queue(
            "posts",
            "待审核信息",
            "posts_pending",
            ("标题", "栏目", "内容", "提交时间"),
            (_APPROVE, _REJECT),
            _posts_rows,
            _posts_decide,
        ),
        Queue(
            "checkins",
            "待复核签到",
            "checkins_pending",
            ("党员", "活动", "距会场", "方式", "扫码时间"),
            (Choice("accept", "认可"), _REJECT),
            _checkin_rows,
            _checkin_decide,
        ),
        Queue(
            "leave",
            "待审批请假",
            "leave_pending",
            ("党员", "活动", "事由", "申请时间"),
            (Choice("approve", "准假"), Choice("reject", "不准假", needs_note=True)),
            _leave_rows,
            _leave_decide,
        ),
        Queue(
            "appeals",
            "待处理申诉",
            "appeals_open",
            ("申诉人", "积分记录", "理由", "申诉时间"),
            (Choice("uphold", "申诉成立"), Choice("reject", "驳回申诉", needs_note=True)),
            _appeal_rows,
            _appeal_decide,
        ),
        Queue(
            "service-requests",
            "群众诉求",
            "service_requests_open",
            ("群众", "事项", "状态", "办理人", "期限"),
            (
                Choice("accept", "受理"),
                Choice("done", "办结", needs_note=True),
                Choice("decline", "不予办理", needs_note=True),
            ),
            _service_rows,
            _service_decide,
        ),
        Queue(
            "objections",
            "监督意见",
            "objections_open",
            ("议题", "意见", "提出时间"),
            (Choice("answer", "答复", needs_note=True),),
            _objection_rows,
            _objection_decide,
            note_label="答复内容",
        ),
    )
}


def with_counts(counts: Queues) -> list[tuple[Queue, int]]:
    """Each queue with its count (the dashboard's), in the order the pages show them."""
    waiting = counts.model_dump()
    return [(queue, waiting[queue.count_field]) for queue in QUEUES.values()]

"""发展党员: every applicant's case with its next step and when (overdue first), the timeline of
the 525 steps done, and the next step recorded as the API records it."""

from datetime import date

from fastapi import Request
from fastapi.responses import Response

from app.console.actions import Unfit, submitted, texts
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once, row_id, row_ids
from app.console.render import page
from app.deps import CacheDep, SessionDep, WechatDep
from app.models.development import CaseStepCreate, Votes
from app.routers.common import RowId
from app.services.development import cases, steps, views

router = console_router()


def _order(case: object) -> tuple[int, date]:
    overdue = bool(getattr(case, "overdue", False))
    due = getattr(case, "due_at", None) or date.max
    return (0 if overdue else 1, due)


@router.get("/development")
async def all_cases(request: Request, principal: ConsoleUser, session: SessionDep) -> Response:
    found = await cases.listing(session, principal=principal, stage=None, limit=100, cursor=None)
    shown = sorted(await views.present(session, list(found.items)), key=_order)
    return page(
        request,
        "development.html",
        {"active": "development", "cases": shown, "titles": _titles()},
    )


def _titles() -> dict[str, str]:
    return {rule.code: rule.title for rule in steps.rules()}


@router.get("/development/{case_id}")
async def one_case(
    request: Request, case_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    case = await cases.case_in_scope(session, principal=principal, case_id=case_id)
    [shown] = await views.present(session, [case])
    return page(
        request,
        "development_case.html",
        {
            "active": "development",
            "c": shown,
            "rules": steps.rules(),
            "titles": _titles(),
            "voted": steps.VOTED,
            "today": date.today().isoformat(),
            "once": new_once,
        },
    )


def _step_of(form: CheckedForm) -> CaseStepCreate:
    text = texts(form)
    try:
        done_at = date.fromisoformat(text.get("done_at", ""))
    except ValueError as exc:
        raise Unfit("请填写完成日期。") from exc
    votes = None
    if text.get("step") in steps.VOTED:
        numbers = [row_id(text.get(k)) or 0 for k in ("expected", "present", "in_favour")]
        votes = Votes(expected=numbers[0], present=numbers[1], in_favour=numbers[2])
    participants = row_ids(text.get("participants", ""))
    return CaseStepCreate(
        step=text.get("step", ""),
        done_at=done_at,
        note=text.get("note") or None,
        participants=participants,
        votes=votes,
    )


@router.post("/development/{case_id}/steps")
async def add_step(
    case_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
    wechat: WechatDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=f"/console/development/{case_id}",
        parse=lambda: _step_of(form),
        write=lambda data: cases.add_step(
            session, principal=principal, case_id=case_id, data=data, wechat=wechat
        ),
        done=lambda data: f"已记录“{_titles().get(data.step, data.step)}”。",
    )

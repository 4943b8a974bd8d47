"""Admitting Party members ("525"): the steps, the cases, each step recorded in order."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import AdminUser, Cursor, Limit, SessionDep, WechatDep
from app.models.common import ListPage
from app.models.development import (
    CaseCreate,
    CasePublic,
    CaseStepCreate,
    DevelopmentCase,
    DevelopmentStage,
    StepRule,
)
from app.routers.common import RowId
from app.services.development import cases, steps, views

router = APIRouter(prefix="/api/v1/admin/development", tags=["发展党员"])


async def _one(session: Any, case: DevelopmentCase) -> CasePublic:
    [answer] = await views.present(session, [case])
    return answer


@router.get("/steps", response_model=ListPage[StepRule], summary="发展党员的 5 个阶段 25 个步骤")
async def list_steps(principal: AdminUser) -> dict[str, Any]:
    return {"items": steps.rules(), "next_cursor": None}


@router.post(
    "/cases",
    status_code=201,
    response_model=CasePublic,
    summary="建立发展党员记录（递交入党申请书）",
)
async def open_case(body: CaseCreate, principal: AdminUser, session: SessionDep) -> CasePublic:
    return await _one(session, await cases.open_case(session, principal=principal, data=body))


@router.post(
    "/cases/{case_id}/steps",
    response_model=CasePublic,
    summary="记录下一步（须按顺序；时间间隔、介绍人、票数按规定检查）",
)
async def add_step(
    case_id: RowId,
    body: CaseStepCreate,
    principal: AdminUser,
    session: SessionDep,
    wechat: WechatDep,
) -> CasePublic:
    case = await cases.add_step(
        session, principal=principal, case_id=case_id, data=body, wechat=wechat
    )
    return await _one(session, case)


@router.get(
    "/cases",
    response_model=ListPage[CasePublic],
    summary="发展党员记录（overdue=true：逾期未办的，一次全部列出）",
)
async def listing(
    principal: AdminUser,
    session: SessionDep,
    stage: Annotated[DevelopmentStage | None, Query()] = None,
    overdue: bool = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    if overdue:
        late = await cases.overdue_cases(session, principal=principal)
        chosen = [c for c in late if stage is None or c.stage == stage]
        return {"items": await views.present(session, chosen), "next_cursor": None}
    page = await cases.listing(
        session, principal=principal, stage=stage, limit=limit, cursor=cursor
    )
    return {"items": await views.present(session, page.items), "next_cursor": page.next_cursor}


@router.get("/cases/{case_id}", response_model=CasePublic, summary="一份发展党员记录")
async def read(case_id: RowId, principal: AdminUser, session: SessionDep) -> CasePublic:
    return await _one(
        session, await cases.case_in_scope(session, principal=principal, case_id=case_id)
    )

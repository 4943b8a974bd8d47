"""Party members and the households they serve: pairings, contact logs, the branch's monthly
report of households not contacted; and members' yearly pledges."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep
from app.models.common import ListPage
from app.models.contact import (
    AssessmentCreate,
    ContactLogCreate,
    ContactLogPublic,
    ContactReport,
    MyPairing,
    PairingCreate,
    PairingsMade,
    PledgeCreate,
    PledgePublic,
    ProgressCreate,
)
from app.routers.common import FilterId, Month, RowId, page_answer
from app.services.contact import logs, pairings, pledges

router = APIRouter(prefix="/api/v1", tags=["党员联系户与承诺践诺"])

Year = Annotated[int | None, Query(ge=2000, le=2100)]


async def _pledge(session: Any, pledge: Any) -> PledgePublic:
    [answer] = await pledges.present(session, [pledge])
    return answer


@router.post(
    "/admin/pairings",
    response_model=PairingsMade,
    summary="安排党员联系农户（同一户只由一名党员联系，重新安排即替换；重复提交结果相同）",
)
async def pair(body: PairingCreate, principal: AdminUser, session: SessionDep) -> PairingsMade:
    return await pairings.create_pairings(session, principal=principal, data=body)


@router.get(
    "/me/pairings",
    response_model=ListPage[MyPairing],
    summary="我联系的农户；或联系我家的党员",
)
async def my_pairings(principal: CurrentUser, session: SessionDep) -> dict[str, Any]:
    return {"items": await pairings.mine(session, principal=principal), "next_cursor": None}


@router.post(
    "/contact-logs",
    status_code=201,
    response_model=ContactLogPublic,
    summary="记录走访、电话或帮办（只限自己联系的农户；走访按 contact_visit 规则计分）",
)
async def log_contact(body: ContactLogCreate, principal: CurrentUser, session: SessionDep) -> Any:
    return await logs.log_contact(session, principal=principal, data=body)


@router.get(
    "/me/contact-logs",
    response_model=ListPage[ContactLogPublic],
    summary="我的联系记录；或党员对我家的走访",
)
async def my_logs(
    principal: CurrentUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = await logs.visible(session, principal=principal, limit=limit, cursor=cursor)
    return page_answer(page, ContactLogPublic)


@router.get(
    "/admin/contact/report",
    response_model=ContactReport,
    summary="党支部当月联系户情况：未联系的农户",
)
async def contact_report(
    principal: AdminUser,
    session: SessionDep,
    branch_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    period: Month,
) -> ContactReport:
    return await logs.report(session, principal=principal, branch_id=branch_id, period=period)


@router.post(
    "/pledges", status_code=201, response_model=PledgePublic, summary="作出年度承诺（每年一份）"
)
async def make_pledge(
    body: PledgeCreate, principal: CurrentUser, session: SessionDep
) -> PledgePublic:
    return await _pledge(
        session, await pledges.make_pledge(session, principal=principal, data=body)
    )


@router.post(
    "/pledges/{pledge_id}/progress",
    status_code=201,
    response_model=PledgePublic,
    summary="记录某一项承诺的践诺进展",
)
async def add_progress(
    pledge_id: RowId, body: ProgressCreate, principal: CurrentUser, session: SessionDep
) -> PledgePublic:
    return await _pledge(
        session,
        await pledges.add_progress(session, principal=principal, pledge_id=pledge_id, data=body),
    )


@router.post(
    "/admin/pledges/{pledge_id}/assessment",
    response_model=PledgePublic,
    summary="年终评定承诺践诺情况（党支部）",
)
async def assess(
    pledge_id: RowId, body: AssessmentCreate, principal: AdminUser, session: SessionDep
) -> PledgePublic:
    return await _pledge(
        session, await pledges.assess(session, principal=principal, pledge_id=pledge_id, data=body)
    )


@router.get("/pledges", response_model=ListPage[PledgePublic], summary="本镇党员的承诺（公开）")
async def published(
    principal: CurrentUser,
    session: SessionDep,
    branch_id: FilterId = None,
    year: Year = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await pledges.published(
        session, principal=principal, branch_id=branch_id, year=year, limit=limit, cursor=cursor
    )
    return {"items": await pledges.present(session, page.items), "next_cursor": page.next_cursor}

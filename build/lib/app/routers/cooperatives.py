"""Branch-led cooperatives and the yearly honours."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep, WechatDep
from app.models.common import ListPage
from app.models.cooperatives import (
    CooperativeCreate,
    CooperativePublic,
    CooperativeReportCreate,
    HonourCreate,
    HonourPublic,
)
from app.routers.common import FilterId, RowId, page_answer
from app.services.cooperatives import honours, registry

router = APIRouter(prefix="/api/v1", tags=["合作社与表彰"])


@router.post(
    "/admin/cooperatives",
    status_code=201,
    response_model=CooperativePublic,
    summary="登记党支部领办的合作社",
)
async def register(
    body: CooperativeCreate, principal: AdminUser, session: SessionDep
) -> CooperativePublic:
    [answer] = await registry.present(
        session, [await registry.register(session, principal=principal, data=body)]
    )
    return answer


@router.post(
    "/admin/cooperatives/{cooperative_id}/reports",
    status_code=201,
    response_model=CooperativePublic,
    summary="合作社年度收入、集体收入与带动户数（同一年再报即更正）",
    responses={200: {"model": CooperativePublic, "description": "更正了这一年已报的数"}},
)
async def report(
    cooperative_id: RowId,
    body: CooperativeReportCreate,
    principal: AdminUser,
    session: SessionDep,
    response: Response,
) -> CooperativePublic:
    cooperative, created = await registry.report(
        session, principal=principal, cooperative_id=cooperative_id, data=body
    )
    if not created:
        response.status_code = 200
    [answer] = await registry.present(session, [cooperative])
    return answer


@router.get(
    "/cooperatives", response_model=ListPage[CooperativePublic], summary="本镇的合作社及各年数据"
)
async def listing(
    principal: CurrentUser,
    session: SessionDep,
    town_id: FilterId = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await registry.listing(
        session, principal=principal, town_id=town_id, limit=limit, cursor=cursor
    )
    return {"items": await registry.present(session, page.items), "next_cursor": page.next_cursor}


@router.post(
    "/admin/honours",
    status_code=201,
    response_model=HonourPublic,
    summary="年度表彰（个人或家庭），同时在宣传栏发布表彰信息",
)
async def confer(
    body: HonourCreate, principal: AdminUser, session: SessionDep, wechat: WechatDep
) -> Any:
    return await honours.confer(session, principal=principal, data=body, wechat=wechat)


@router.get("/honours", response_model=ListPage[HonourPublic], summary="光荣榜（按村、按年）")
async def roll(
    principal: CurrentUser,
    session: SessionDep,
    village_id: FilterId = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await honours.roll(
        session, principal=principal, village_id=village_id, year=year, limit=limit, cursor=cursor
    )
    return page_answer(page, HonourPublic)

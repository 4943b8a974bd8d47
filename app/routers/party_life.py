"""Party life as it is inspected: changing and cancelling events, their minutes and the town's
review of them, and a branch's Party groups."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep, StorageDep, TownAdmin
from app.models.base import MAX_DB_INT
from app.models.common import ListPage
from app.models.events import EventCancel, EventPublic, EventUpdate
from app.models.party_life import (
    MinutesCreate,
    MinutesHistory,
    MinutesPublic,
    MinutesReturn,
    MinutesToReview,
    PartyGroupCreate,
    PartyGroupPublic,
    PartyGroupUpdate,
)
from app.routers.common import RowId
from app.services.events import changes, groups, minutes

router = APIRouter(prefix="/api/v1/admin", tags=["组织生活纪实"])


@router.patch(
    "/events/{event_id}",
    response_model=EventPublic,
    summary="活动开始前修改时间、地点、议程（应到人员会再收到通知）",
)
async def update_event(
    event_id: RowId, body: EventUpdate, principal: AdminUser, session: SessionDep
) -> Any:
    return await changes.update_event(session, principal=principal, event_id=event_id, data=body)


@router.post(
    "/events/{event_id}/cancel",
    response_model=EventPublic,
    summary="活动开始前取消活动（写明原因；二维码停用，已签到的积分冲正）",
)
async def cancel_event(
    event_id: RowId, body: EventCancel, principal: AdminUser, session: SessionDep
) -> Any:
    return await changes.cancel_event(
        session, principal=principal, event_id=event_id, reason=body.reason
    )


@router.post(
    "/events/{event_id}/minutes",
    status_code=201,
    response_model=MinutesPublic,
    summary="提交或修改会议记录（每次提交为新版本，旧版本保留）",
    description="支部管理员或活动指定的记录人提交；活动结束后才能提交；"
    "次月底关账后不能再修改（被镇里退回的除外）。",
)
async def file_minutes(
    event_id: RowId,
    body: MinutesCreate,
    principal: CurrentUser,
    session: SessionDep,
    storage: StorageDep,
) -> Any:
    return await minutes.file(
        session, principal=principal, event_id=event_id, data=body, storage=storage
    )


@router.get(
    "/events/{event_id}/minutes",
    response_model=MinutesHistory,
    summary="会议记录（最新版与全部版本）",
)
async def read_minutes(event_id: RowId, principal: CurrentUser, session: SessionDep) -> Any:
    return await minutes.history(session, principal=principal, event_id=event_id)


@router.post(
    "/events/{event_id}/minutes/return",
    response_model=MinutesPublic,
    summary="镇里退回会议记录（写明原因；重新提交前该次活动不计为落实）",
)
async def return_minutes(
    event_id: RowId, body: MinutesReturn, principal: TownAdmin, session: SessionDep
) -> Any:
    return await minutes.send_back(
        session, principal=principal, event_id=event_id, reason=body.reason
    )


@router.get(
    "/minutes",
    response_model=ListPage[MinutesToReview],
    summary="待审阅的会议记录（每次活动的最新版本，新的在前）",
)
async def minutes_to_review(
    principal: AdminUser,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    returned: bool | None = None,
) -> dict[str, Any]:
    page = await minutes.to_review(
        session, principal=principal, returned=returned, limit=limit, cursor=cursor
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post(
    "/party-groups", status_code=201, response_model=PartyGroupPublic, summary="新建党小组"
)
async def create_group(
    body: PartyGroupCreate, principal: AdminUser, session: SessionDep
) -> PartyGroupPublic:
    return await groups.create_group(session, principal=principal, data=body)


@router.get("/party-groups", response_model=ListPage[PartyGroupPublic], summary="党小组列表")
async def list_groups(
    principal: AdminUser,
    session: SessionDep,
    branch_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
) -> dict[str, Any]:
    items = await groups.list_groups(session, principal=principal, branch_id=branch_id)
    return {"items": items, "next_cursor": None}


@router.patch(
    "/party-groups/{group_id}",
    response_model=PartyGroupPublic,
    summary="修改党小组（名称、组长、组员）",
)
async def update_group(
    group_id: RowId, body: PartyGroupUpdate, principal: AdminUser, session: SessionDep
) -> PartyGroupPublic:
    return await groups.update_group(session, principal=principal, group_id=group_id, data=body)

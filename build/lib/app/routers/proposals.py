"""Village decisions (四议两公开): the village admin records each stage; villagers read the
published matters; the supervision committee reads every stage and files objections."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep, StorageDep, WechatDep
from app.models.common import ListPage
from app.models.feed import PostPublic
from app.models.proposals import (
    ObjectionAnswer,
    ObjectionCreate,
    ObjectionPublic,
    ProposalCreate,
    ProposalPublic,
    ProposalStage,
    PublicationCreate,
    StepCreate,
)
from app.routers.common import FilterId, RowId, page_answer
from app.services import feed
from app.services.proposals import objections, proposals, views

router = APIRouter(prefix="/api/v1", tags=["四议两公开"])


async def _one(session: Any, proposal: Any) -> ProposalPublic:
    [answer] = await views.present(session, [proposal])
    return answer


@router.post(
    "/admin/proposals",
    status_code=201,
    response_model=ProposalPublic,
    summary="党支部会提议：新建议题",
)
async def create_proposal(
    body: ProposalCreate, principal: AdminUser, session: SessionDep
) -> ProposalPublic:
    return await _one(
        session, await proposals.create_proposal(session, principal=principal, data=body)
    )


@router.post(
    "/admin/proposals/{proposal_id}/steps",
    response_model=ProposalPublic,
    summary="记录下一步会议（两委商议、党员大会审议、村民（代表）会议决议）及票数",
)
async def add_step(
    proposal_id: RowId, body: StepCreate, principal: AdminUser, session: SessionDep
) -> ProposalPublic:
    return await _one(
        session,
        await proposals.add_step(session, principal=principal, proposal_id=proposal_id, data=body),
    )


@router.post(
    "/admin/proposals/{proposal_id}/publications",
    status_code=201,
    response_model=PostPublic,
    summary="决议公开、实施结果公开（发布为村务公开信息）",
)
async def publish(
    proposal_id: RowId,
    body: PublicationCreate,
    principal: AdminUser,
    session: SessionDep,
    wechat: WechatDep,
    storage: StorageDep,
) -> PostPublic:
    post = await proposals.publish(
        session, principal=principal, proposal_id=proposal_id, data=body, wechat=wechat
    )
    [answer] = await feed.posts.present(session, [post], storage)
    return answer


@router.get(
    "/admin/proposals",
    response_model=ListPage[ProposalPublic],
    summary="议题列表（村干部与村务监督委员会：每个阶段）",
)
async def watched(
    principal: CurrentUser,
    session: SessionDep,
    stage: Annotated[ProposalStage | None, Query()] = None,
    village_id: FilterId = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await proposals.watched(
        session, principal=principal, stage=stage, village_id=village_id, limit=limit, cursor=cursor
    )
    return {"items": await views.present(session, page.items), "next_cursor": page.next_cursor}


@router.get(
    "/proposals",
    response_model=ListPage[ProposalPublic],
    summary="本村已公开的议题及全部经过（群众）",
)
async def published(
    principal: CurrentUser,
    session: SessionDep,
    village_id: FilterId = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await proposals.published(
        session, principal=principal, village_id=village_id, limit=limit, cursor=cursor
    )
    return {"items": await views.present(session, page.items), "next_cursor": page.next_cursor}


@router.get("/proposals/{proposal_id}", response_model=ProposalPublic, summary="议题详情")
async def read(proposal_id: RowId, principal: CurrentUser, session: SessionDep) -> ProposalPublic:
    return await _one(
        session, await proposals.readable(session, principal=principal, proposal_id=proposal_id)
    )


@router.post(
    "/proposals/{proposal_id}/objections",
    status_code=201,
    response_model=ObjectionPublic,
    summary="村务监督委员会提出监督意见",
)
async def object_to(
    proposal_id: RowId, body: ObjectionCreate, principal: CurrentUser, session: SessionDep
) -> Any:
    return await objections.file(session, principal=principal, proposal_id=proposal_id, data=body)


@router.get(
    "/admin/objections",
    response_model=ListPage[ObjectionPublic],
    summary="待答复的监督意见（工作台“监督意见”那一列）",
)
async def waiting(
    principal: AdminUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = await objections.waiting(session, principal=principal, limit=limit, cursor=cursor)
    return page_answer(page, ObjectionPublic)


@router.post(
    "/admin/objections/{objection_id}/answer",
    response_model=ObjectionPublic,
    summary="答复监督意见",
)
async def answer(
    objection_id: RowId, body: ObjectionAnswer, principal: AdminUser, session: SessionDep
) -> Any:
    return await objections.answer(
        session, principal=principal, objection_id=objection_id, data=body
    )

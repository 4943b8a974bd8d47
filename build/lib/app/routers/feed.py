"""The publicity feed and the monthly disclosures."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.deps import (
    AdminUser,
    CacheDep,
    CurrentUser,
    Cursor,
    Limit,
    SessionDep,
    StorageDep,
    WechatDep,
)
from app.models.base import MAX_DB_INT
from app.models.common import ListPage
from app.models.feed import (
    Category,
    DisclosureCompliance,
    LikeState,
    PostCreate,
    PostPublic,
    ReviewDecision,
)
from app.routers.common import Month, RowId
from app.services import feed as feed_service

router = APIRouter(prefix="/api/v1", tags=["宣传栏"])


@router.post(
    "/posts",
    status_code=201,
    response_model=PostPublic,
    summary="发布信息（管理员直接发布，其他人待审核）",
)
async def create_post(
    body: PostCreate,
    principal: CurrentUser,
    session: SessionDep,
    storage: StorageDep,
    wechat: WechatDep,
) -> PostPublic:
    post = await feed_service.create_post(session, principal=principal, wechat=wechat, data=body)
    [answer] = await feed_service.present(session, [post], storage)
    return answer


@router.get(
    "/feed", response_model=ListPage[PostPublic], summary="宣传信息流（置顶在前，最新在前）"
)
async def feed(
    principal: CurrentUser,
    session: SessionDep,
    storage: StorageDep,
    cache: CacheDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    category: Category | None = None,
    village_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
) -> Any:
    if cursor is None:
        # The first page comes ready-made: kept a few seconds, already in the answer's shape.
        body = await feed_service.first_page_json(
            session,
            cache=cache,
            storage=storage,
            principal=principal,
            category=category,
            village_id=village_id,
            limit=limit,
        )
        return Response(body, media_type="application/json")
    page = await feed_service.feed(
        session,
        principal=principal,
        category=category,
        village_id=village_id,
        limit=limit,
        cursor=cursor,
    )
    items = await feed_service.present(session, page.items, storage)
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/posts/{post_id}", response_model=PostPublic, summary="信息详情（计一次浏览）")
async def read_post(
    post_id: RowId,
    principal: CurrentUser,
    session: SessionDep,
    storage: StorageDep,
    cache: CacheDep,
) -> PostPublic:
    post = await feed_service.read(session, principal=principal, cache=cache, post_id=post_id)
    [answer] = await feed_service.present(session, [post], storage)
    return answer


@router.post(
    "/posts/{post_id}/like", response_model=LikeState, summary="点赞（重复点赞不重复计数）"
)
async def like(post_id: RowId, principal: CurrentUser, session: SessionDep) -> LikeState:
    count, liked = await feed_service.set_like(
        session, principal=principal, post_id=post_id, liked=True
    )
    return LikeState(post_id=post_id, liked=liked, like_count=count)


@router.delete("/posts/{post_id}/like", response_model=LikeState, summary="取消点赞")
async def unlike(post_id: RowId, principal: CurrentUser, session: SessionDep) -> LikeState:
    count, liked = await feed_service.set_like(
        session, principal=principal, post_id=post_id, liked=False
    )
    return LikeState(post_id=post_id, liked=liked, like_count=count)


@router.get("/admin/posts", response_model=ListPage[PostPublic], summary="待审核信息")
async def review_queue(
    principal: AdminUser,
    session: SessionDep,
    storage: StorageDep,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await feed_service.review_queue(session, principal=principal, limit=limit, cursor=cursor)
    items = await feed_service.present(session, page.items, storage)
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/admin/posts/{post_id}/review", response_model=PostPublic, summary="审核信息")
async def review(
    post_id: RowId,
    body: ReviewDecision,
    principal: AdminUser,
    session: SessionDep,
    storage: StorageDep,
) -> PostPublic:
    post = await feed_service.review(session, principal=principal, post_id=post_id, data=body)
    [answer] = await feed_service.present(session, [post], storage)
    return answer


@router.get(
    "/admin/disclosures/compliance",
    response_model=DisclosureCompliance,
    summary="各村六大公开完成情况",
)
async def disclosure_compliance(
    principal: AdminUser,
    session: SessionDep,
    period: Month,
) -> DisclosureCompliance:
    return await feed_service.disclosure_compliance(session, principal=principal, period=period)

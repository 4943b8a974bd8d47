"""Notifications: my inbox and unread badge, the subscribe-message templates and my grants, my
preferences, and admins' notices (通知公告)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep, SettingsDep
from app.models.common import ListPage
from app.models.notifications import (
    GrantsCreate,
    MarkedRead,
    MarkRead,
    NoticeCreate,
    NoticePublic,
    NotificationKind,
    NotificationPublic,
    QuotaPublic,
    TemplatePublic,
    UnreadCount,
)
from app.routers.common import RowId, page_answer
from app.services.identity import bound_person
from app.services.notifications import inbox, notices, subscriptions

router = APIRouter(prefix="/api/v1", tags=["消息通知"])

Settings = Annotated[
    dict[NotificationKind, bool],
    Body(
        description="消息类型 → 是否接收微信提醒（false 只关微信，站内消息照收）",
        examples=[{"event_reminder": True, "points_posted": False}],
    ),
]


@router.get(
    "/notification-templates",
    response_model=ListPage[TemplatePublic],
    summary="可订阅的微信消息模板（小程序据此调用 wx.requestSubscribeMessage）",
)
async def templates(principal: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    return {"items": subscriptions.offered(settings.wechat_templates), "next_cursor": None}


@router.post(
    "/me/notification-grants",
    response_model=ListPage[QuotaPublic],
    summary="上报 wx.requestSubscribeMessage 的结果，返回各类消息的剩余次数",
)
async def report_grants(
    body: GrantsCreate, principal: CurrentUser, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    items = await subscriptions.phone_grants(
        session,
        principal=principal,
        results=dict(body.results),
        templates=settings.wechat_templates,
    )
    return {"items": items, "next_cursor": None}


@router.get(
    "/me/notifications", response_model=ListPage[NotificationPublic], summary="我的消息（新的在前）"
)
async def my_notifications(
    principal: CurrentUser,
    session: SessionDep,
    unread: Annotated[bool, Query(description="true：只看未读")] = False,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await inbox.my_notifications(
        session, principal=principal, unread=unread, limit=limit, cursor=cursor
    )
    return page_answer(page, NotificationPublic)


@router.get(
    "/me/notifications/unread-count", response_model=UnreadCount, summary="未读消息数（角标）"
)
async def unread_count(principal: CurrentUser, session: SessionDep) -> UnreadCount:
    return UnreadCount(count=await inbox.unread_count(session, principal=principal))


@router.post("/me/notifications/read", response_model=MarkedRead, summary="标为已读（部分或全部）")
async def mark_read(body: MarkRead, principal: CurrentUser, session: SessionDep) -> MarkedRead:
    updated = await inbox.mark_read(session, principal=principal, ids=body.ids, everything=body.all)
    return MarkedRead(updated=updated)


@router.get(
    "/me/notification-settings",
    response_model=dict[NotificationKind, bool],
    summary="我的微信提醒设置",
)
async def my_settings(principal: CurrentUser, session: SessionDep) -> dict[str, bool]:
    person = await bound_person(session, principal, to="设置消息提醒")
    assert person.id is not None
    return await subscriptions.settings_of(session, person.id)


@router.patch(
    "/me/notification-settings",
    response_model=dict[NotificationKind, bool],
    summary="打开或关闭某类消息的微信提醒（站内消息照收）",
)
async def change_settings(
    body: Settings, principal: CurrentUser, session: SessionDep
) -> dict[str, bool]:
    return await subscriptions.change_settings(session, principal=principal, wanted=body)


@router.post(
    "/admin/notices",
    status_code=201,
    response_model=NoticePublic,
    summary="发通知公告（镇、村或党支部，可只发党员）",
)
async def send_notice(body: NoticeCreate, principal: AdminUser, session: SessionDep) -> Any:
    return await notices.send_notice(session, principal=principal, data=body)


@router.get(
    "/admin/notices/{notice_id}",
    response_model=NoticePublic,
    summary="通知公告及各渠道送达情况",
)
async def get_notice(notice_id: RowId, principal: AdminUser, session: SessionDep) -> Any:
    return await notices.notice_in_scope(session, principal=principal, notice_id=notice_id)

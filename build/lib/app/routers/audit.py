"""The audit log, as far as the caller's scope reaches."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import AdminUser, Cursor, Limit, SessionDep
from app.models.audit import AuditEntryPublic
from app.models.common import ListPage
from app.routers.common import page_answer
from app.services import audit as audit_service

router = APIRouter(prefix="/api/v1/admin", tags=["管理端·审计日志"])


@router.get("/audit", response_model=ListPage[AuditEntryPublic], summary="操作日志")
async def list_audit(
    principal: AdminUser,
    session: SessionDep,
    limit: Limit = 20,
    cursor: Cursor = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    page = await audit_service.list_entries(
        session, principal=principal, action=action, limit=limit, cursor=cursor
    )
    return page_answer(page, AuditEntryPublic)

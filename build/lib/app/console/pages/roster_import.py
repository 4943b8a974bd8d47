"""Roster import in the browser: the template, a file dropped in, the dry run's report row by
row, and the same file applied once it is clean; a big file's progress shown live."""

import base64
from collections.abc import Awaitable
from typing import Annotated

from fastapi import File, Request, UploadFile
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.console.actions import Refused, act
from app.console.deps import CheckedForm, ConsoleUser, console_router, new_once
from app.console.render import back, page
from app.deps import BackgroundDep, CacheDep, SessionDep, SettingsDep
from app.errors import NotFound
from app.models.roster_import import ImportStatus, RosterImport
from app.routers.common import RowId, spreadsheet
from app.services import roster
from app.services.identity import Principal

router = console_router()

# The checked file is kept this long so that "apply" needs no second upload.
_KEEP_SECONDS = 3600


def _kept_key(account_id: int, import_id: int) -> str:
    return f"xz:console:roster-file:{account_id}:{import_id}"


class FileGone(NotFound):
    code = "console.roster_file_gone"
    detail = "检查过的文件已过期（保留一小时），请重新上传。"


def _run(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    background: BackgroundDep,
    name: str,
    data: bytes,
    *,
    dry_run: bool,
) -> Awaitable[RosterImport]:
    """The API's import of a file: checked, or applied; a big one in the background."""
    return roster.import_roster(
        session,
        principal=principal,
        file_name=name,
        data=data,
        village_id=None,
        dry_run=dry_run,
        background=background,
        background_rows=settings.roster_background_rows,
    )


@router.get("/roster-import")
async def import_form(request: Request, principal: ConsoleUser) -> Response:
    return page(request, "roster_import.html", {"active": "people", "once": new_once})


@router.get("/roster-import/template")
async def template(principal: ConsoleUser) -> Response:
    return spreadsheet(roster.sheets.template())


@router.post("/roster-import")
async def upload(
    request: Request,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    background: BackgroundDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read()
    name = file.filename or "roster.xlsx"
    try:
        record = await act(
            session,
            cache,
            principal,
            form,
            lambda: _run(session, principal, settings, background, name, data, dry_run=True),
        )
    except Refused as refused:
        return back("/console/roster-import", error=refused.detail)
    assert record.id is not None
    await cache.set(
        _kept_key(principal.account_id, record.id),
        f"{name}\n{base64.b64encode(data).decode()}",
        ex=_KEEP_SECONDS,
    )
    return back(f"/console/roster-import/{record.id}")


@router.post("/roster-import/{import_id}/apply")
async def apply(
    import_id: RowId,
    principal: ConsoleUser,
    form: CheckedForm,
    session: SessionDep,
    settings: SettingsDep,
    cache: CacheDep,
    background: BackgroundDep,
) -> Response:
    checked = await roster.get_import(session, principal=principal, import_id=import_id)
    here = f"/console/roster-import/{import_id}"
    shown = roster.present(checked)
    if checked.status is not ImportStatus.validated or not checked.dry_run or shown.errors:
        return back(here, error="只有检查通过、没有问题的文件才能导入。")
    kept = await cache.get(_kept_key(principal.account_id, import_id))
    if not kept:
        return back(here, error=FileGone.detail)
    name, _, encoded = kept.partition("\n")
    data = base64.b64decode(encoded)
    try:
        record = await act(
            session,
            cache,
            principal,
            form,
            lambda: _run(session, principal, settings, background, name, data, dry_run=False),
        )
    except Refused as refused:
        return back(here, error=refused.detail)
    return back(f"/console/roster-import/{record.id}")


@router.get("/roster-import/{import_id}")
async def report(
    request: Request, import_id: RowId, principal: ConsoleUser, session: SessionDep
) -> Response:
    record = await roster.get_import(session, principal=principal, import_id=import_id)
    shown = roster.present(record)
    partial = request.headers.get("HX-Request") == "true"
    return page(
        request,
        "roster_import_status.html" if partial else "roster_import_report.html",
        {"active": "people", "r": shown, "once": new_once},
    )

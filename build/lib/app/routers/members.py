"""Members over time: the member file, mobile members and their thought reports, the rota of
who hosts the mobile members' Party day, transfers of organisational relations with their
introduction letter, and re-education."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from app.deps import AdminUser, CurrentUser, Cursor, Limit, SessionDep, SettingsDep
from app.models.base import MAX_DB_INT
from app.models.common import ListPage
from app.models.members import (
    ItemDone,
    MemberFilePublic,
    MemberFileUpdate,
    MobileMemberCreate,
    MobileMemberPublic,
    ReeducationClose,
    ReeducationCreate,
    ReeducationPublic,
    RotationPublic,
    RotationUpdate,
    ThoughtReportCreate,
    ThoughtReportPublic,
    TransferCreate,
    TransferDecline,
    TransferPublic,
)
from app.routers.common import RowId, created_or_found, page_answer, printable
from app.services.members import files, letters, mobile, reeducation, transfers

router = APIRouter(prefix="/api/v1", tags=["党员档案、流动党员与组织关系转接"])

Year = Annotated[int, Query(ge=2000, le=2100)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_DB_INT)]


@router.get("/admin/members/{person_id}/file", response_model=MemberFilePublic, summary="党员档案")
async def read_file(person_id: RowId, principal: AdminUser, session: SessionDep) -> Any:
    return await files.read_file(session, principal=principal, person_id=person_id)


@router.put(
    "/admin/members/{person_id}/file",
    response_model=MemberFilePublic,
    summary="填写或修改党员档案（入党申请、入党、转正日期，学历，岗位）",
)
async def update_file(
    person_id: RowId, body: MemberFileUpdate, principal: AdminUser, session: SessionDep
) -> Any:
    return await files.update_file(session, principal=principal, person_id=person_id, data=body)


@router.get("/me/party-file", response_model=MemberFilePublic, summary="我的党员档案")
async def my_file(principal: CurrentUser, session: SessionDep) -> Any:
    return await files.my_file(session, principal=principal)


@router.post(
    "/admin/mobile-members",
    status_code=201,
    response_model=MobileMemberPublic,
    summary="登记流动党员（流出 out 或流入 in）",
)
async def register_mobile(
    body: MobileMemberCreate, principal: AdminUser, session: SessionDep
) -> Any:
    return await mobile.register(session, principal=principal, data=body)


@router.get(
    "/admin/mobile-members", response_model=ListPage[MobileMemberPublic], summary="流动党员台账"
)
async def mobile_register(
    principal: AdminUser,
    session: SessionDep,
    branch_id: FilterId = None,
    direction: Literal["out", "in"] | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await mobile.register_list(
        session,
        principal=principal,
        branch_id=branch_id,
        direction=direction,
        limit=limit,
        cursor=cursor,
    )
    return page_answer(page, MobileMemberPublic)


@router.post(
    "/me/thought-reports",
    status_code=201,
    response_model=ThoughtReportPublic,
    summary="流动党员提交当月思想汇报（未被接收前可重交）",
    responses={
        200: {"model": ThoughtReportPublic, "description": "这个月已交过，返回（或更新）原记录"}
    },
)
async def submit_report(
    body: ThoughtReportCreate, principal: CurrentUser, session: SessionDep, response: Response
) -> Any:
    return created_or_found(
        response, await mobile.submit_report(session, principal=principal, data=body)
    )


@router.get(
    "/admin/thought-reports",
    response_model=ListPage[ThoughtReportPublic],
    summary="待接收的思想汇报",
)
async def reports_to_accept(
    principal: AdminUser, session: SessionDep, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    page = await mobile.reports_to_accept(session, principal=principal, limit=limit, cursor=cursor)
    return page_answer(page, ThoughtReportPublic)


@router.post(
    "/admin/thought-reports/{report_id}/accept",
    response_model=ThoughtReportPublic,
    summary="接收思想汇报（当月计为异地参加组织生活）",
)
async def accept_report(report_id: RowId, principal: AdminUser, session: SessionDep) -> Any:
    return await mobile.accept_report(session, principal=principal, report_id=report_id)


@router.get(
    "/admin/mobile-rotation", response_model=RotationPublic, summary="流动党员主题党日轮值表"
)
async def rotation(
    principal: AdminUser, session: SessionDep, year: Year, town_id: FilterId = None
) -> Any:
    return await mobile.rotation(session, principal=principal, town_id=town_id, year=year)


@router.put(
    "/admin/mobile-rotation",
    response_model=RotationPublic,
    summary="安排全年的流动党员主题党日轮值（每月由哪个支部承办）",
)
async def plan_rotation(body: RotationUpdate, principal: AdminUser, session: SessionDep) -> Any:
    return await mobile.plan_rotation(session, principal=principal, data=body)


@router.post(
    "/admin/transfers",
    status_code=201,
    response_model=TransferPublic,
    summary="转出组织关系（转往系统内的党支部，或系统外的党组织）",
)
async def start_transfer(body: TransferCreate, principal: AdminUser, session: SessionDep) -> Any:
    return await transfers.start(session, principal=principal, data=body)


@router.get(
    "/admin/transfers",
    response_model=ListPage[TransferPublic],
    summary="组织关系转接（转出与转入）",
)
async def list_transfers(
    principal: AdminUser,
    session: SessionDep,
    status: Literal["pending", "accepted", "declined"] | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await transfers.listing(
        session, principal=principal, status=status, limit=limit, cursor=cursor
    )
    return page_answer(page, TransferPublic)


@router.get("/admin/transfers/{transfer_id}", response_model=TransferPublic, summary="转接详情")
async def get_transfer(transfer_id: RowId, principal: AdminUser, session: SessionDep) -> Any:
    return await transfers.transfer_in_sight(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/admin/transfers/{transfer_id}/accept",
    response_model=TransferPublic,
    summary="接收党支部接收（党员转入本支部）",
)
async def accept_transfer(transfer_id: RowId, principal: AdminUser, session: SessionDep) -> Any:
    return await transfers.accept(session, principal=principal, transfer_id=transfer_id)


@router.post(
    "/admin/transfers/{transfer_id}/decline",
    response_model=TransferPublic,
    summary="接收党支部退回（写明原因）",
)
async def decline_transfer(
    transfer_id: RowId, body: TransferDecline, principal: AdminUser, session: SessionDep
) -> Any:
    return await transfers.decline(
        session, principal=principal, transfer_id=transfer_id, reason=body.reason
    )


@router.get(
    "/admin/transfers/{transfer_id}/letter",
    summary="打印介绍信（PDF）",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def transfer_letter(
    transfer_id: RowId, principal: AdminUser, session: SessionDep, settings: SettingsDep
) -> Response:
    data = await letters.letter(
        session, principal=principal, transfer_id=transfer_id, font=settings.cjk_font
    )
    return printable(data, pdf=True, name="党员组织关系介绍信", ascii_name=f"letter-{transfer_id}")


@router.post(
    "/admin/reeducation",
    status_code=201,
    response_model=ReeducationPublic,
    summary="为回炉教育名单上的党员建立教育计划",
)
async def enrol(body: ReeducationCreate, principal: AdminUser, session: SessionDep) -> Any:
    return reeducation.public(await reeducation.enrol(session, principal=principal, data=body))


@router.get(
    "/admin/reeducation", response_model=ListPage[ReeducationPublic], summary="回炉教育记录"
)
async def list_reeducation(
    principal: AdminUser,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await reeducation.listing(
        session, principal=principal, year=year, limit=limit, cursor=cursor
    )
    return {"items": [reeducation.public(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/admin/reeducation/{reeducation_id}/items/{index}/done",
    response_model=ReeducationPublic,
    summary="记录计划中的一项已完成（index 从 0 起）",
)
async def item_done(
    reeducation_id: RowId,
    index: Annotated[int, Path(ge=0, le=19)],
    body: ItemDone,
    principal: AdminUser,
    session: SessionDep,
) -> Any:
    row = await reeducation.item_done(
        session, principal=principal, reeducation_id=reeducation_id, index=index, note=body.note
    )
    return reeducation.public(row)


@router.post(
    "/admin/reeducation/{reeducation_id}/close",
    response_model=ReeducationPublic,
    summary="结束回炉教育并写明结论",
)
async def close(
    reeducation_id: RowId, body: ReeducationClose, principal: AdminUser, session: SessionDep
) -> Any:
    row = await reeducation.close(
        session, principal=principal, reeducation_id=reeducation_id, conclusion=body.conclusion
    )
    return reeducation.public(row)

"""Party dues: bases and bills, paying on the phone and WeChat Pay's notice, cash and its
reversal, arrears, the dues book and the yearly disclosure."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.deps import (
    CurrentUser,
    PayDep,
    SessionDep,
    StorageDep,
    TownAdmin,
    WechatDep,
    require_roles,
)
from app.models.base import MAX_DB_INT
from app.models.common import ListPage
from app.models.dues import (
    Arrear,
    BasePublic,
    BaseSet,
    Bills,
    Book,
    BranchTotal,
    CashPayment,
    DisclosureRequest,
    OrderPublic,
    PaymentOrder,
    PaymentPublic,
    Reverse,
)
from app.models.feed import PostPublic
from app.models.roster import ADMIN_ROLES, Role
from app.routers.common import XLSX, FilterId, RowId, spreadsheet
from app.services import feed
from app.services.dues import bills, orders, papers, payments
from app.services.identity import Principal, own_town

router = APIRouter(prefix="/api/v1", tags=["党费"])

DuesKeeper = Annotated[Principal, Depends(require_roles(*ADMIN_ROLES, Role.dues_keeper))]
Year = Annotated[int, Query(ge=2000, le=2100)]
BranchId = Annotated[int, Query(ge=1, le=MAX_DB_INT)]


@router.put(
    "/admin/dues/bases/{person_id}",
    response_model=BasePublic,
    summary="核定或调整党员一年的党费基数（调整请写明原因）",
)
async def set_base(
    person_id: RowId, body: BaseSet, principal: DuesKeeper, session: SessionDep
) -> Any:
    return await bills.set_base(session, principal=principal, person_id=person_id, data=body)


@router.get("/me/dues", response_model=Bills, summary="我的党费：每月应交、已交")
async def my_dues(principal: CurrentUser, session: SessionDep, year: Year) -> Any:
    return await bills.my_bills(session, principal=principal, year=year)


@router.post(
    "/me/dues/payments",
    status_code=201,
    response_model=OrderPublic,
    summary="用微信支付交纳党费（可预交几个月；返回 wx.requestPayment 的参数）",
)
async def pay(body: PaymentOrder, principal: CurrentUser, session: SessionDep, pay: PayDep) -> Any:
    return await orders.place(session, principal=principal, data=body, pay=pay)


@router.post(
    "/wechat/pay/notify",
    status_code=204,
    summary="微信支付结果通知（v3，验签并解密；重复的通知只入账一次）",
)
async def pay_notice(request: Request, session: SessionDep, pay: PayDep) -> Response:
    await orders.receive_notice(
        session, pay=pay, headers=dict(request.headers), body=await request.body()
    )
    return Response(status_code=204)


@router.post(
    "/admin/dues/payments",
    status_code=201,
    response_model=PaymentPublic,
    summary="登记现金交纳的党费（党费收缴员或支部管理员；写收据编号）",
)
async def record_cash(body: CashPayment, principal: DuesKeeper, session: SessionDep) -> Any:
    return await payments.record_cash(session, principal=principal, data=body)


@router.post(
    "/admin/dues/payments/{payment_id}/reverse",
    status_code=201,
    response_model=PaymentPublic,
    summary="冲正一笔党费（新增一笔相反的记录，原记录不改）",
)
async def reverse(
    payment_id: RowId, body: Reverse, principal: DuesKeeper, session: SessionDep
) -> Any:
    return await payments.reverse(
        session, principal=principal, payment_id=payment_id, reason=body.reason
    )


@router.get("/admin/dues/arrears", response_model=ListPage[Arrear], summary="欠交党费的党员")
async def arrears(principal: DuesKeeper, session: SessionDep, branch_id: BranchId) -> Any:
    items = await bills.arrears(session, principal=principal, branch_id=branch_id)
    return {"items": items, "next_cursor": None}


@router.get(
    "/admin/dues/book",
    response_model=Book,
    summary="党费收缴台账（?format=xlsx 导出 A4 表格）",
    responses={200: {"content": {XLSX: {}}}},
)
async def dues_book(
    principal: DuesKeeper,
    session: SessionDep,
    branch_id: BranchId,
    year: Year,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await papers.book_paper(session, principal=principal, branch_id=branch_id, year=year)
        )
    return await papers.book(session, principal=principal, branch_id=branch_id, year=year)


@router.get(
    "/admin/dues/totals",
    response_model=ListPage[BranchTotal],
    summary="全镇各党支部的党费收缴合计",
)
async def totals(
    principal: TownAdmin, session: SessionDep, year: Year, town_id: FilterId = None
) -> Any:
    items = await papers.totals(
        session, principal=principal, town_id=town_id or own_town(principal), year=year
    )
    return {"items": items, "next_cursor": None}


@router.post(
    "/admin/dues/disclosures",
    status_code=201,
    response_model=PostPublic,
    summary="生成全年党费公开的草稿（党务公开；审核后发布）",
)
async def disclosure(
    body: DisclosureRequest,
    principal: DuesKeeper,
    session: SessionDep,
    wechat: WechatDep,
    storage: StorageDep,
) -> Any:
    post = await papers.draft_disclosure(session, principal=principal, data=body, wechat=wechat)
    [answer] = await feed.present(session, [post], storage)
    return answer

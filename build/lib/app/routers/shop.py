"""The points shop: goods, redemptions, the counter, and the monthly report."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from app import idempotency
from app.deps import (
    DEFAULT_PAGE,
    AdminUser,
    CurrentUser,
    Cursor,
    Limit,
    PendingDep,
    SessionDep,
    SettingsDep,
    StorageDep,
    require_roles,
    started,
)
from app.models.common import ListPage
from app.models.roster import ADMIN_ROLES, Role
from app.models.shop import (
    Fulfil,
    FundCreate,
    FundPublic,
    FundYear,
    GoodsCreate,
    GoodsPublic,
    GoodsUpdate,
    RedemptionCreate,
    RedemptionPublic,
    Restock,
    ShopReport,
)
from app.routers.common import (
    XLSX,
    FilterId,
    Month,
    RowId,
    json_answer,
    kept_with_write,
    qr_image,
    sent,
    spreadsheet,
)
from app.services import shop as shop_service
from app.services.identity import Principal
from app.services.shop import RedemptionWriter
from app.services.shop import reports as shop_reports

# The domain's group-commit writer (app/db/group_commit.py: Writers starts it on first use).
RedemptionWriterDep = Annotated[RedemptionWriter, Depends(started(RedemptionWriter))]

router = APIRouter(prefix="/api/v1", tags=["积分超市"])

CounterUser = Annotated[Principal, Depends(require_roles(*ADMIN_ROLES, Role.shop_keeper))]
ReportUser = Annotated[
    Principal, Depends(require_roles(*ADMIN_ROLES, Role.shop_keeper, Role.supervisor))
]


@router.post("/admin/shop/goods", status_code=201, response_model=GoodsPublic, summary="上架商品")
async def create_goods(
    body: GoodsCreate, principal: AdminUser, session: SessionDep, storage: StorageDep
) -> Any:
    goods = await shop_service.create_goods(session, principal=principal, data=body)
    return (await shop_service.present(session, [goods], storage))[0]


@router.patch(
    "/admin/shop/goods/{goods_id}", response_model=GoodsPublic, summary="修改商品、上下架"
)
async def update_goods(
    goods_id: RowId,
    body: GoodsUpdate,
    principal: AdminUser,
    session: SessionDep,
    storage: StorageDep,
) -> Any:
    goods = await shop_service.update_goods(
        session, principal=principal, goods_id=goods_id, data=body
    )
    return (await shop_service.present(session, [goods], storage))[0]


@router.post(
    "/admin/shop/goods/{goods_id}/restock",
    response_model=GoodsPublic,
    summary="进货（记录数量和采购金额）",
)
async def restock(
    goods_id: RowId, body: Restock, principal: AdminUser, session: SessionDep, storage: StorageDep
) -> Any:
    goods = await shop_service.restock(session, principal=principal, goods_id=goods_id, data=body)
    return (await shop_service.present(session, [goods], storage))[0]


@router.get("/shop/goods", response_model=ListPage[GoodsPublic], summary="本村积分超市商品")
async def list_goods(
    principal: CurrentUser,
    session: SessionDep,
    storage: StorageDep,
    village_id: FilterId = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> dict[str, Any]:
    page = await shop_service.list_goods(
        session, principal=principal, village_id=village_id, limit=limit, cursor=cursor
    )
    items = await shop_service.present(session, page.items, storage)
    return {"items": items, "next_cursor": page.next_cursor}


@router.post(
    "/shop/redemptions",
    status_code=201,
    response_model=RedemptionPublic,
    summary="兑换（积分和库存立即扣除，凭兑换码到柜台领取）",
)
async def redeem(
    body: RedemptionCreate,
    principal: CurrentUser,
    writer: RedemptionWriterDep,
    settings: SettingsDep,
    pending: PendingDep,
) -> Any:
    redemption = await shop_service.redeem(
        writer,
        principal=principal,
        data=body,
        reservation_days=settings.shop_reservation_days,
        receipt=kept_with_write(pending, _redeemed),
    )
    return sent(_redeemed(redemption))


def _redeemed(redemption: Any) -> idempotency.Answer:
    return json_answer(RedemptionPublic, redemption, 201)


@router.get(
    "/me/redemptions",
    response_model=ListPage[RedemptionPublic],
    summary="我家的兑换记录（最新在前）",
)
async def my_redemptions(
    principal: CurrentUser, session: SessionDep, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
) -> Any:
    return await shop_service.my_redemptions(
        session, principal=principal, limit=limit, cursor=cursor
    )


@router.get(
    "/shop/redemptions/{redemption_id}/qr",
    summary="兑换码的二维码（柜台扫码核销）",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def redemption_qr(
    redemption_id: RowId,
    principal: CurrentUser,
    session: SessionDep,
    format: Literal["png", "svg"] = "png",
) -> Response:
    redemption = await shop_service.readable_redemption(
        session, principal=principal, redemption_id=redemption_id
    )
    media_type = "image/png" if format == "png" else "image/svg+xml"
    return Response(qr_image(redemption.code, format), media_type=media_type)


@router.post(
    "/shop/redemptions/fulfil",
    response_model=RedemptionPublic,
    summary="柜台核销（本村积分超市管理员，凭兑换码）",
)
async def fulfil(body: Fulfil, principal: CounterUser, session: SessionDep) -> Any:
    return await shop_service.fulfil(session, principal=principal, code=body.code)


@router.post(
    "/shop/redemptions/{redemption_id}/cancel",
    response_model=RedemptionPublic,
    summary="取消兑换（积分和库存退回）",
)
async def cancel(redemption_id: RowId, principal: CurrentUser, session: SessionDep) -> Any:
    return await shop_service.cancel(session, principal=principal, redemption_id=redemption_id)


@router.post(
    "/admin/shop/funds",
    status_code=201,
    response_model=FundPublic,
    summary="登记当年从集体经济收益拨给积分超市的经费",
)
async def allocate(body: FundCreate, principal: AdminUser, session: SessionDep) -> Any:
    return await shop_service.funds.allocate(session, principal=principal, data=body)


@router.get(
    "/admin/shop/funds",
    response_model=FundYear,
    summary="积分超市当年经费：拨付、已花、结余，与本镇最低额相比",
)
async def fund_year(
    principal: ReportUser,
    session: SessionDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    village_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Any:
    return await shop_service.funds.fund_year(
        session, principal=principal, village_id=village_id, year=year
    )


@router.get(
    "/admin/shop/reports",
    response_model=ShopReport,
    summary="积分超市月报（?format=xlsx 导出）",
    responses={200: {"content": {XLSX: {}}}},
)
async def monthly_report(
    principal: ReportUser,
    session: SessionDep,
    period: Month,
    village_id: Annotated[int, Query(ge=1, le=2**31 - 1)],
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    if format == "xlsx":
        return spreadsheet(
            await shop_reports.report_paper(
                session, principal=principal, period=period, village_id=village_id
            )
        )
    return await shop_reports.report(
        session, principal=principal, period=period, village_id=village_id
    )

"""积分超市 counter: a redemption code typed (or read by the laptop's camera), the goods and the
household shown, then handed over; the shelf with its stock and restocking; the month's fund
report."""

from decimal import Decimal, InvalidOperation

from fastapi import Request
from fastapi.responses import Response

from app.china_time import to_china, utcnow
from app.console.actions import Refused, Unfit, act, submitted, texts
from app.console.deps import (
    CheckedForm,
    ConsoleUser,
    CounterUser,
    console_router,
    new_once,
    row_id,
)
from app.console.render import back, page, this_month_or
from app.deps import CacheDep, SessionDep, StorageDep
from app.errors import AppError
from app.models.roster import Village
from app.models.shop import FundCreate, GoodsCreate, Restock
from app.routers.common import FilterId, RowId, spreadsheet
from app.services import roster, shop

router = console_router()

COUNTER = "/console/counter"


def _code(text: str | None) -> str:
    """What was typed or scanned, as the code it should be: no spaces, upper case."""
    return "".join((text or "").split()).upper()[:32]


def _village(principal: CounterUser, wanted: int | None) -> int | None:
    return wanted or shop.counter_village(principal=principal)


@router.get("/counter")
async def counter(
    request: Request,
    principal: CounterUser,
    session: SessionDep,
    storage: StorageDep,
    code: str | None = None,
    village_id: FilterId = None,
) -> Response:
    found, refusal = None, None
    typed = _code(code)
    if typed:
        try:
            found = await shop.look_up(session, principal=principal, code=typed)
        except AppError as error:
            refusal = error.detail
    village = _village(principal, village_id)
    goods = []
    if village is not None:
        listed = await shop.list_goods(
            session, principal=principal, village_id=village, limit=100, cursor=None
        )
        goods = await shop.present(session, list(listed.items), storage)
    villages = (
        []
        if village is not None
        else list(
            (
                await roster.list_in_scope(
                    session, principal=principal, model=Village, limit=100, cursor=None
                )
            ).items
        )
    )
    template = (
        "counter_found.html" if request.headers.get("HX-Request") == "true" else "counter.html"
    )
    return page(
        request,
        template,
        {
            "active": "counter",
            "code": typed,
            "found": found,
            "refusal": refusal,
            "goods": goods,
            "village_id": village,
            "villages": villages,
            "period": to_china(utcnow()).strftime("%Y-%m"),
            "once": new_once,
        },
    )


@router.post("/counter/fulfil")
async def fulfil(
    principal: CounterUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    code = _code(str(form.get("code") or ""))
    try:
        await act(
            session,
            cache,
            principal,
            form,
            lambda: shop.fulfil(session, principal=principal, code=code),
        )
    except Refused as refused:
        return back(COUNTER, error=f"{code}：{refused.detail}")
    return back(COUNTER, done=f"兑换码 {code} 已领取。")


@router.post("/counter/goods/{goods_id}/restock")
async def restock(
    goods_id: RowId,
    principal: CounterUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=COUNTER,
        parse=lambda: _restock_of(form),
        write=lambda data: shop.restock(session, principal=principal, goods_id=goods_id, data=data),
        done=lambda data: f"已进货 {data.quantity} 件。",
    )


def _restock_of(form: CheckedForm) -> Restock:
    try:
        quantity = int(str(form.get("quantity") or "0"))
        cost = Decimal(str(form.get("cost_yuan") or "0"))
    except (ValueError, InvalidOperation) as exc:
        raise Unfit("数量须为整数，金额须为数字。") from exc
    return Restock(
        quantity=quantity, cost_yuan=cost, note=str(form.get("note") or "").strip() or None
    )


@router.post("/counter/goods")
async def new_goods(
    principal: CounterUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    """Goods put on the shelf (the village's admins; the keeper hands them over)."""
    text = texts(form)
    stock = text.get("stock") or "0"
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=COUNTER,
        parse=lambda: GoodsCreate(
            village_id=row_id(text.get("village_id")),
            name=text.get("name", ""),
            points=row_id(text.get("points")) or 0,
            stock=int(stock) if stock.isdigit() and len(stock) < 8 else -1,
            monthly_limit=row_id(text.get("monthly_limit")),
        ),
        write=lambda data: shop.create_goods(session, principal=principal, data=data),
        done=lambda data: f"“{data.name}”已上架。",
    )


@router.get("/counter/report")
async def fund_report(
    request: Request,
    principal: CounterUser,
    session: SessionDep,
    village_id: FilterId = None,
    period: str | None = None,
    format: str = "html",
) -> Response:
    village = _village(principal, village_id)
    month = this_month_or(period)
    if village is None:
        return back(COUNTER, error="请先选择村。")
    if format == "xlsx":
        return spreadsheet(
            await shop.reports.report_paper(
                session, principal=principal, period=month, village_id=village
            )
        )
    report = await shop.reports.report(
        session, principal=principal, period=month, village_id=village
    )
    return page(
        request, "counter_report.html", {"active": "counter", "r": report, "once": new_once}
    )


def _fund_of(form: CheckedForm) -> FundCreate:
    text = texts(form)
    try:
        fen = int(Decimal(text.get("amount_yuan", "")) * 100)
    except InvalidOperation as exc:
        raise Unfit("请填写金额（元）。") from exc
    year = text.get("year", "")
    return FundCreate(
        village_id=row_id(text.get("village_id")),
        year=int(year) if year.isdigit() else 0,
        allocated_fen=fen,
        source=text.get("source", ""),
    )


@router.post("/counter/funds")
async def allocate(
    principal: ConsoleUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    text = texts(form)
    here = f"/console/counter/report?village_id={row_id(text.get('village_id')) or ''}"
    here += f"&period={this_month_or(text.get('period'))}"
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=here,
        parse=lambda: _fund_of(form),
        write=lambda data: shop.funds.allocate(session, principal=principal, data=data),
        done="已登记拨付的经费。",
    )

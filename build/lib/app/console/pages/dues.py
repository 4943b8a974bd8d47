"""党费 for the branch's treasurer and admins: each member's base, cash payments with their
receipt and the reversal of a mistake, who owes what, the dues book and the yearly
disclosure drafted for the branch to publish."""

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from app.china_time import china_today
from app.console.actions import Unfit, submitted, texts
from app.console.deps import CheckedForm, DuesUser, console_router, new_once, row_id
from app.console.render import page
from app.deps import CacheDep, SessionDep, WechatDep
from app.models.base import MAX_DB_INT
from app.models.dues import BaseKind, BaseSet, CashPayment, DisclosureRequest, Reverse
from app.routers.common import FilterId, RowId, spreadsheet
from app.services.dues import bills, papers, payments

router = console_router()


def _fen(text: str, what: str) -> int | None:
    """Yuan as typed (``40``, ``40.5``) to fen; blank is None."""
    if not text:
        return None
    try:
        yuan = Decimal(text)
    except InvalidOperation as exc:
        raise Unfit(f"{what}请填写金额（元），如 40.50。") from exc
    if yuan < 0 or yuan != yuan.quantize(Decimal("0.01")) or yuan > 1_000_000:
        raise Unfit(f"{what}请填写金额（元），最多两位小数。")
    return int(yuan * 100)


@router.get("/dues")
async def dues_page(
    request: Request,
    principal: DuesUser,
    session: SessionDep,
    branch_id: FilterId = None,
    year: int | None = None,
) -> Response:
    branches = await bills.keeper_branches(session, principal=principal)
    shown_year = year if year and 2000 <= year <= 2100 else china_today().year
    chosen = next((b for b in branches if b.id == branch_id), branches[0] if branches else None)
    context: dict[str, object] = {
        "active": "dues",
        "branches": branches,
        "branch": chosen,
        "year": shown_year,
        "kinds": list(BaseKind),
        "once": new_once,
        "this_month": china_today().strftime("%Y-%m"),
    }
    if chosen is not None and chosen.id is not None:
        context |= {
            "arrears": await bills.arrears(session, principal=principal, branch_id=chosen.id),
            "book": await papers.book(
                session, principal=principal, branch_id=chosen.id, year=shown_year
            ),
            "recent": await payments.recent(session, principal=principal, branch_id=chosen.id),
        }
    return page(request, "dues.html", context)


def _here(form: CheckedForm) -> str:
    branch = row_id(texts(form).get("branch_id"))
    return f"/console/dues?branch_id={branch}" if branch else "/console/dues"


def _base_of(form: CheckedForm) -> tuple[int, BaseSet]:
    text = texts(form)
    person = row_id(text.get("person_id"))
    if person is None:
        raise Unfit("请填写党员的人员编号。")
    year = text.get("year", "")
    fixed = _fen(text.get("fixed_yuan", ""), "每月固定额")
    return person, BaseSet(
        year=int(year) if year.isdigit() else 0,
        kind=BaseKind(text.get("kind", "employed"))
        if text.get("kind") in set(BaseKind)
        else BaseKind.employed,
        base_fen=_fen(text.get("base_yuan", ""), "月收入"),
        fixed_fen=fixed,
        reason=text.get("reason") or None,
    )


@router.post("/dues/bases")
async def set_base(
    principal: DuesUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=_here(form),
        parse=lambda: _base_of(form),
        write=lambda asked: bills.set_base(
            session, principal=principal, person_id=asked[0], data=asked[1]
        ),
        done=lambda asked: f"已核定：每月应交按 {asked[1].year} 年基数计算。",
    )


def _cash_of(form: CheckedForm) -> CashPayment:
    text = texts(form)
    person = row_id(text.get("person_id"))
    amount = _fen(text.get("amount_yuan", ""), "金额")
    if person is None or not amount:
        raise Unfit("请填写党员的人员编号和金额。")
    months = [m.strip() for m in text.get("months", "").replace("，", ",").split(",") if m.strip()]
    return CashPayment(
        person_id=person, months=months, amount_fen=amount, receipt_no=text.get("receipt_no", "")
    )


@router.post("/dues/payments")
async def record_cash(
    principal: DuesUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=_here(form),
        parse=lambda: _cash_of(form),
        write=lambda data: payments.record_cash(session, principal=principal, data=data),
        done=lambda data: f"已登记现金 {data.amount_fen / 100:.2f} 元（收据 {data.receipt_no}）。",
    )


@router.post("/dues/payments/{payment_id}/reverse")
async def reverse(
    payment_id: RowId, principal: DuesUser, form: CheckedForm, session: SessionDep, cache: CacheDep
) -> Response:
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=_here(form),
        parse=lambda: Reverse(reason=texts(form).get("reason", "")),
        write=lambda data: payments.reverse(
            session, principal=principal, payment_id=payment_id, reason=data.reason
        ),
        done="已冲正：原记录保留，另记一笔相反的金额。",
    )


@router.get("/dues/book.xlsx")
async def book_paper(
    principal: DuesUser,
    session: SessionDep,
    branch_id: Annotated[int, Query(ge=1, le=MAX_DB_INT)],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Response:
    return spreadsheet(
        await papers.book_paper(session, principal=principal, branch_id=branch_id, year=year)
    )


@router.post("/dues/disclosures")
async def disclosure(
    principal: DuesUser,
    form: CheckedForm,
    session: SessionDep,
    cache: CacheDep,
    wechat: WechatDep,
) -> Response:
    text = texts(form)
    return await submitted(
        session,
        cache,
        principal,
        form,
        here=_here(form),
        parse=lambda: DisclosureRequest(
            branch_id=row_id(text.get("branch_id")) or 0,
            year=int(text["year"]) if text.get("year", "").isdigit() else 0,
        ),
        write=lambda data: papers.draft_disclosure(
            session, principal=principal, data=data, wechat=wechat
        ),
        done="党费公开的草稿已生成，请到“待办 · 待审核信息”里核对后发布。",
    )

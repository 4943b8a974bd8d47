"""Paying dues on the phone with WeChat Pay: the order for some months and the parameters for
``wx.requestPayment``; WeChat's payment notice checked, opened and applied once however often
it comes; an order the notice never reached settled by asking WeChat; an abandoned one closed."""

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import BadRequest, Conflict, ServiceUnavailable
from app.models.auth import UserAccount
from app.models.base import id_of
from app.models.dues import DuesOrder, OrderPublic, OrderState, PaymentOrder, PayParams
from app.services.dues import payments
from app.services.identity import Principal, bound_person
from app.services.kit import PayGateway, wechat_pay

log = logging.getLogger("xiangzhi.dues")

SETTLE_AFTER = timedelta(minutes=5)  # a notice should have come by then
CLOSE_AFTER = timedelta(hours=2)  # an order not paid by then was abandoned


class PayDisabled(Conflict):
    code = "dues.pay_disabled"
    detail = "本支部还没有开通微信交纳党费，请向支部党费收缴员交纳现金。"


class NotAMember(Conflict):
    code = "dues.not_member"
    detail = "只有党员交纳党费。"


class NoOpenid(Conflict):
    code = "dues.no_openid"
    detail = "请在微信小程序里交纳党费。"


class PayUnavailable(ServiceUnavailable):
    code = "dues.pay_unavailable"
    detail = "微信支付暂时不可用，请稍后再试。"


class NoticeRefused(BadRequest):
    code = "dues.notice_refused"
    detail = "支付通知无效。"


def _trade_no() -> str:
    """Unique and unguessable, within WeChat's 32 characters."""
    return f"XZDF{to_china(utcnow()):%Y%m%d}{secrets.token_hex(8).upper()}"


async def place(
    session: AsyncSession, *, principal: Principal, data: PaymentOrder, pay: PayGateway
) -> OrderPublic:
    person = await bound_person(session, principal, to="交纳党费")
    if not person.is_party_member:
        raise NotAMember()
    if not pay.enabled_for(person.branch_id):
        raise PayDisabled()
    account = await session.get(UserAccount, principal.account_id)
    if account is None or not account.openid:
        raise NoOpenid()
    left = await payments.shortfalls(session, id_of(person), data.months)
    if any(fen == 0 for fen in left.values()):
        raise payments.MonthPaid()
    amount = sum(left.values()) + data.extra_fen
    order = DuesOrder(
        out_trade_no=_trade_no(),
        person_id=id_of(person),
        account_id=principal.account_id,
        town_id=person.town_id,
        village_id=person.village_id,
        branch_id=person.branch_id,
        months=payments.spread(left, amount),
        amount_fen=amount,
    )
    session.add(order)
    await session.flush()
    assert pay.merchant is not None and pay.http is not None
    months = "、".join(sorted(left))
    try:
        order.prepay_id = await wechat_pay.jsapi_order(
            pay.http,
            pay.merchant,
            out_trade_no=order.out_trade_no,
            description=f"党费 {months}"[:127],
            amount_fen=amount,
            openid=account.openid,
        )
    except wechat_pay.PayError as exc:
        log.warning("dues order %s not placed: %s", order.out_trade_no, exc)
        raise PayUnavailable() from exc
    await session.flush()
    return OrderPublic(
        order_id=id_of(order),
        amount_fen=amount,
        pay_params=PayParams(**wechat_pay.pay_params(pay.merchant, order.prepay_id)),
    )


async def _apply(
    session: AsyncSession, pay: PayGateway, transaction: dict[str, Any], *, source: str
) -> bool:
    """A transaction WeChat reports paid, applied to its order once. False: nothing to do."""
    assert pay.merchant is not None
    if transaction.get("trade_state") != "SUCCESS":
        return False
    trade_no = str(transaction.get("out_trade_no", ""))
    order = (
        await session.exec(
            select(DuesOrder).where(col(DuesOrder.out_trade_no) == trade_no).with_for_update()
        )
    ).first()
    total = (transaction.get("amount") or {}).get("total")
    if (
        order is None
        or transaction.get("mchid") != pay.merchant.mchid
        or transaction.get("appid") != pay.merchant.appid
        or total != order.amount_fen
    ):
        # Logged for the treasurer and the town: money WeChat took that matches no order.
        log.error(
            "dues %s for %s refused: order %s, amount %s, mchid %s",
            source,
            trade_no,
            "unknown" if order is None else order.amount_fen,
            total,
            transaction.get("mchid"),
        )
        raise NoticeRefused("支付通知与订单不符。")
    paid = await payments.apply_paid_order(
        session, order, transaction_id=str(transaction.get("transaction_id", ""))
    )
    return paid is not None


async def receive_notice(
    session: AsyncSession, *, pay: PayGateway, headers: dict[str, str], body: bytes
) -> bool:
    """WeChat's payment notice: True when it paid an order now, False when already paid."""
    if pay.merchant is None:
        raise NoticeRefused("未开通微信支付。")
    try:
        transaction = wechat_pay.open_notice(pay.merchant, headers, body)
    except wechat_pay.NoticeRefused as refused:
        log.warning("dues notice refused: %s", refused)
        raise NoticeRefused() from refused
    return await _apply(session, pay, transaction, source="notice")


async def settle_waiting(session: AsyncSession, *, pay: PayGateway, now: datetime) -> int:
    """Orders whose notice never came: asked about and applied, or closed once abandoned."""
    if pay.merchant is None or pay.http is None:
        return 0
    waiting = await session.exec(
        select(DuesOrder)
        .where(
            col(DuesOrder.state) == OrderState.created,
            col(DuesOrder.created_at) < now - SETTLE_AFTER,
        )
        .order_by(col(DuesOrder.id))
        .limit(200)
    )
    settled = 0
    for order in waiting.all():
        try:
            found = await wechat_pay.query(pay.http, pay.merchant, order.out_trade_no)
        except wechat_pay.PayError as exc:
            log.warning("dues order %s not queried: %s", order.out_trade_no, exc)
            continue
        if found.get("trade_state") == "SUCCESS":
            try:
                settled += await _apply(session, pay, found, source="query")
            except NoticeRefused:
                continue
        elif order.created_at < now - CLOSE_AFTER and found.get("trade_state") in (
            "NOTPAY",
            "USERPAYING",
        ):
            try:
                await wechat_pay.close(pay.http, pay.merchant, order.out_trade_no)
            except wechat_pay.PayError as exc:
                log.warning("dues order %s not closed: %s", order.out_trade_no, exc)
                continue
            order.state = OrderState.closed
        elif found.get("trade_state") in ("CLOSED", "REVOKED", "PAYERROR"):
            order.state = OrderState.closed
    await session.flush()
    return settled

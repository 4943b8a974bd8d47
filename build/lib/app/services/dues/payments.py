"""Payments of dues: spread over the months they pay, oldest first (anything beyond the months'
dues is the member's voluntary extra, on the last month); cash recorded by the branch's
treasurer with its receipt number; a mistake taken back by a reversing payment, never an edit;
and a paid WeChat order turned into its payment exactly once."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.dues import (
    CashPayment,
    DuesOrder,
    DuesPayment,
    Method,
    OrderState,
    PaymentState,
)
from app.models.roster import Branch, Person
from app.services import audit
from app.services.dues import bills
from app.services.identity import Location, Principal, covers, location_of


class MonthUnbilled(Unprocessable):
    code = "dues.month_unbilled"
    detail = "所选月份还没有核定党费基数，请先由支部核定。"


class MonthPaid(Conflict):
    code = "dues.month_paid"
    detail = "所选月份的党费已经交清。"


class ReceiptUsed(Conflict):
    code = "dues.receipt_used"
    detail = "这个收据编号已经登记过。"


class PaymentNotFound(NotFound):
    code = "dues.payment_not_found"
    detail = "找不到该笔党费。"


class AlreadyReversed(Conflict):
    code = "dues.already_reversed"
    detail = "这笔党费已经冲正，或本身就是冲正记录。"


async def shortfalls(session: AsyncSession, person_id: int, months: list[str]) -> dict[str, int]:
    """What each of these months still lacks; a month without a base is refused."""
    bases = await bills.bases_of(session, [person_id])
    paid = (await bills.paid_of(session, [person_id]))[person_id]
    left = {}
    for month in sorted(set(months)):
        due = bases.get((person_id, int(month[:4])))
        if due is None:
            raise MonthUnbilled()
        left[month] = max(due - paid.get(month, 0), 0)
    return left


def spread(left: dict[str, int], amount: int) -> dict[str, int]:
    """``amount`` over the months, oldest first; what is beyond their dues goes to the last."""
    months = sorted(left)
    parts: dict[str, int] = {}
    rest = amount
    for month in months:
        part = min(left[month], rest)
        if part:
            parts[month] = part
        rest -= part
    if rest:
        parts[months[-1]] = parts.get(months[-1], 0) + rest
    return parts


def _where(person: Person) -> Location:
    return Location(
        town_id=person.town_id, village_id=person.village_id, branch_id=person.branch_id
    )


async def record_cash(
    session: AsyncSession, *, principal: Principal, data: CashPayment
) -> DuesPayment:
    person = await bills.member_for_keeper(session, principal=principal, person_id=data.person_id)
    used = await session.exec(
        select(DuesPayment.id).where(
            col(DuesPayment.branch_id) == person.branch_id,
            col(DuesPayment.receipt_no) == data.receipt_no,
        )
    )
    if used.first() is not None:
        raise ReceiptUsed()
    left = await shortfalls(session, id_of(person), data.months)
    payment = DuesPayment(
        person_id=id_of(person),
        town_id=person.town_id,
        village_id=person.village_id,
        branch_id=person.branch_id,
        method=Method.cash,
        amount_fen=data.amount_fen,
        months=spread(left, data.amount_fen),
        receipt_no=data.receipt_no,
        recorded_by=principal.person_id,
    )
    await audit.record_created(
        session, actor=principal, row=payment, target_type="dues_payment", where=_where(person)
    )
    return payment


async def reverse(
    session: AsyncSession, *, principal: Principal, payment_id: int, reason: str
) -> DuesPayment:
    """A reversing payment of the opposite amount over the same months; the original stays."""
    original = await session.get(DuesPayment, payment_id, with_for_update=True)
    branch = (
        await session.get(Branch, original.branch_id) if original and original.branch_id else None
    )
    if (
        original is None
        or branch is None
        or not covers(principal, location_of(branch), bills.KEEPERS)
    ):
        raise PaymentNotFound()
    if original.state != PaymentState.posted:
        raise AlreadyReversed()
    reversal = DuesPayment(
        person_id=original.person_id,
        town_id=original.town_id,
        village_id=original.village_id,
        branch_id=original.branch_id,
        method=original.method,
        amount_fen=-original.amount_fen,
        months={m: -fen for m, fen in original.months.items()},
        state=PaymentState.reversal,
        reverses_id=original.id,
        reason=reason,
        recorded_by=principal.person_id,
    )
    await audit.record_created(
        session,
        actor=principal,
        row=reversal,
        target_type="dues_payment",
        where=location_of(original),
    )
    async with audit.change(
        session,
        actor=principal,
        row=original,
        action="dues_payment.reversed",
        target_type="dues_payment",
        where=location_of(original),
        picture=lambda p: {"state": p.state},
    ):
        original.state = PaymentState.reversed
    return reversal


async def recent(
    session: AsyncSession, *, principal: Principal, branch_id: int, limit: int = 30
) -> list[DuesPayment]:
    """The branch's latest payments and reversals, for the treasurer's page."""
    branch = await session.get(Branch, branch_id)
    if branch is None or not covers(principal, location_of(branch), bills.KEEPERS):
        raise PaymentNotFound()
    found = await session.exec(
        select(DuesPayment)
        .where(col(DuesPayment.branch_id) == branch_id)
        .order_by(col(DuesPayment.id).desc())
        .limit(limit)
    )
    return list(found.all())


async def apply_paid_order(
    session: AsyncSession, order: DuesOrder, *, transaction_id: str
) -> DuesPayment | None:
    """The order (locked by the caller) becomes its payment, once: a second notice, or a query
    after the notice, finds it paid and does nothing."""
    if order.state == OrderState.paid:
        return None
    order.state, order.transaction_id, order.paid_at = OrderState.paid, transaction_id, utcnow()
    payment = DuesPayment(
        person_id=order.person_id,
        town_id=order.town_id,
        village_id=order.village_id,
        branch_id=order.branch_id,
        method=Method.wechat,
        amount_fen=order.amount_fen,
        months=dict(order.months),
        order_id=order.id,
    )
    await audit.record_created(
        session, actor=None, row=payment, target_type="dues_payment", where=location_of(order)
    )
    return payment

"""What each member owes: the yearly base set by the branch (audited, changeable with a reason),
the month's bill it makes, what has been paid against each month, and the branch's arrears."""

from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import china_today, utcnow
from app.errors import NotFound, Unprocessable
from app.models.base import id_of
from app.models.dues import (
    Arrear,
    BaseSet,
    Bills,
    DuesBase,
    DuesPayment,
    MonthBill,
)
from app.models.roster import ADMIN_ROLES, Branch, Person, Role
from app.services import audit
from app.services.dues import rates
from app.services.identity import Principal, bound_person, covers, location_of, scope_clause
from app.services.roster import get_in_scope

KEEPERS = frozenset({*ADMIN_ROLES, Role.dues_keeper})


class ReasonRequired(Unprocessable):
    code = "dues.reason_required"
    detail = "调整已核定的党费基数须写明原因。"


class MemberNotFound(NotFound):
    code = "dues.member_not_found"
    detail = "找不到该党员。"


def months_of(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def this_month() -> str:
    return china_today().strftime("%Y-%m")


async def member_for_keeper(
    session: AsyncSession, *, principal: Principal, person_id: int
) -> Person:
    """A Party member whose branch the caller keeps the dues of (its treasurer or admins)."""
    person = await session.get(Person, person_id)
    if person is None or not person.is_party_member or person.branch_id is None:
        raise MemberNotFound()
    branch = await session.get(Branch, person.branch_id)
    if branch is None or not covers(principal, location_of(branch), KEEPERS):
        raise MemberNotFound()
    return person


async def set_base(
    session: AsyncSession, *, principal: Principal, person_id: int, data: BaseSet
) -> DuesBase:
    person = await member_for_keeper(session, principal=principal, person_id=person_id)
    monthly = rates.monthly_due(data.kind, data.base_fen, data.fixed_fen)
    kept = (
        await session.exec(
            select(DuesBase).where(
                col(DuesBase.person_id) == person.id, col(DuesBase.year) == data.year
            )
        )
    ).first()
    new = kept is None
    if (
        kept is not None
        and not data.reason
        and (
            kept.kind,
            kept.base_fen,
            kept.fixed_fen,
        )
        != (data.kind, data.base_fen, data.fixed_fen)
    ):
        raise ReasonRequired()
    if kept is None:
        kept = DuesBase(
            person_id=id_of(person),
            town_id=person.town_id,
            village_id=person.village_id,
            branch_id=person.branch_id,
            year=data.year,
            kind=data.kind,
            monthly_fen=monthly,
        )
        session.add(kept)
        await session.flush()
    async with audit.change(
        session,
        actor=principal,
        row=kept,
        action="dues.base_set",
        target_type="dues_base",
        where=location_of(person),
        new=new,
    ):
        kept.kind, kept.base_fen, kept.fixed_fen = data.kind, data.base_fen, data.fixed_fen
        kept.monthly_fen, kept.reason, kept.updated_at = monthly, data.reason, utcnow()
    return kept


async def bases_of(session: AsyncSession, person_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """(person, year) → the monthly due."""
    wanted = list(set(person_ids))
    if not wanted:
        return {}
    found = await session.exec(select(DuesBase).where(col(DuesBase.person_id).in_(wanted)))
    return {(b.person_id, b.year): b.monthly_fen for b in found.all()}


async def paid_of(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """person → month → fen paid (reversals take their payment back)."""
    wanted = list(set(person_ids))
    paid: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not wanted:
        return paid
    found = await session.exec(select(DuesPayment).where(col(DuesPayment.person_id).in_(wanted)))
    for payment in found.all():
        for month, fen in payment.months.items():
            paid[payment.person_id][month] += fen
    return paid


def bill(month: str, due: int, paid: int) -> MonthBill:
    status = "paid" if paid >= due else "partial" if paid > 0 else "owed"
    return MonthBill(month=month, due_fen=due, paid_fen=paid, status=status)


async def bills_of(session: AsyncSession, person_id: int, year: int) -> list[MonthBill]:
    """The year's months that have a base, each with what is due and what was paid."""
    due = (await bases_of(session, [person_id])).get((person_id, year))
    if due is None:
        return []
    paid = (await paid_of(session, [person_id]))[person_id]
    return [bill(m, due, paid.get(m, 0)) for m in months_of(year)]


async def my_bills(session: AsyncSession, *, principal: Principal, year: int) -> Bills:
    person = await bound_person(session, principal, to="查看党费")
    return Bills(year=year, items=await bills_of(session, id_of(person), year))


async def owed(
    session: AsyncSession, people: list[Person], *, before: str | None = None
) -> list[Arrear]:
    """Each member with months owed before ``before`` (this month: a month is owed once over)."""
    until = before or this_month()
    ids = [id_of(p) for p in people]
    bases, paid = await bases_of(session, ids), await paid_of(session, ids)
    lines = []
    for person in people:
        months = []
        fen = 0
        for (who, year), due in sorted(bases.items()):
            if who != person.id:
                continue
            for month in months_of(year):
                short = due - paid[id_of(person)].get(month, 0)
                if month < until and short > 0:
                    months.append(month)
                    fen += short
        if months:
            lines.append(
                Arrear(
                    person_id=id_of(person),
                    name=person.name,
                    months_owed=len(months),
                    owed_fen=fen,
                    months=months,
                )
            )
    return lines


async def keeper_branches(session: AsyncSession, *, principal: Principal) -> list[Branch]:
    """The branches whose dues the caller keeps (as treasurer or admin)."""
    found = await session.exec(
        select(Branch).where(scope_clause(principal, Branch, KEEPERS)).order_by(col(Branch.id))
    )
    return list(found.all())


async def arrears(session: AsyncSession, *, principal: Principal, branch_id: int) -> list[Arrear]:
    branch = await get_in_scope(
        session, principal=principal, model=Branch, row_id=branch_id, roles=KEEPERS
    )
    members = await session.exec(
        select(Person)
        .where(col(Person.branch_id) == branch.id, col(Person.is_party_member).is_(True))
        .order_by(col(Person.id))
    )
    return await owed(session, list(members.all()))

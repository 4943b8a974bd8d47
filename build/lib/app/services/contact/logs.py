"""A member's contact with a household they serve: a visit, a call or help given, with photos
and where it happened; only for their own households. A visit earns member points by the
town's ``contact_visit`` rule, through the ledger, caps and all."""

from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import parse_period
from app.errors import Forbidden
from app.models.base import id_of
from app.models.contact import (
    ContactKind,
    ContactLog,
    ContactLogCreate,
    ContactReport,
    NeverVisited,
    Pairing,
)
from app.models.points import Ledger, SourceType
from app.models.roster import Branch, Household, Person
from app.services import media
from app.services.identity import Principal, bound_person
from app.services.kit import Page, keyset_page, to_gcj02
from app.services.points import ledger, scoring_rules
from app.services.roster import get_in_scope

RULE = "contact_visit"


class NotPaired(Forbidden):
    code = "contact.not_paired"
    detail = "只能记录您联系的农户（由党支部安排）。"


async def _visit_points(
    session: AsyncSession, principal: Principal, person: Person, log: ContactLog
) -> int | None:
    if log.kind is not ContactKind.visit or not person.is_party_member:
        return None
    try:
        rule = await scoring_rules.resolve(
            session, code=RULE, town_id=log.town_id, village_id=log.village_id
        )
    except (scoring_rules.RuleUnknown, scoring_rules.RuleDisabled):
        return None  # the town has no such rule (yet): the visit is kept, without points
    if Ledger(rule.ledger) is not Ledger.member or rule.daily_cap is None:
        # A visit is the member's own word: without a daily cap (a rule from before caps were
        # required) it would earn without limit, so it earns nothing until one is set.
        return None
    posting = scoring_rules.posting_for(
        rule,
        quantity=None,
        note=log.note[:200],
        media_ids=log.media_ids,
        source_type=SourceType.contact,
        source_id=str(log.id),
    )
    entry = await ledger.credit(
        session,
        ledger=Ledger.member,
        owner=ledger.Owner.of_person(person),
        posting=posting,
        actor=principal,
    )
    return entry.id


async def log_contact(
    session: AsyncSession, *, principal: Principal, data: ContactLogCreate
) -> ContactLog:
    person = await bound_person(session, principal, to="记录联系")
    pairing = (
        await session.exec(
            select(Pairing).where(
                col(Pairing.household_id) == data.household_id,
                col(Pairing.member_person_id) == person.id,
            )
        )
    ).first()
    if pairing is None:
        raise NotPaired()
    await media.require_own(session, principal=principal, media_ids=data.media_ids)
    lat, lng = (
        to_gcj02(data.lat, data.lng, data.coord_type)
        if data.lat is not None and data.lng is not None
        else (None, None)
    )
    log = ContactLog(
        town_id=pairing.town_id,
        village_id=pairing.village_id,
        branch_id=pairing.branch_id,
        member_person_id=id_of(person),
        household_id=pairing.household_id,
        kind=data.kind,
        note=data.note,
        media_ids=list(data.media_ids),
        lat=lat,
        lng=lng,
    )
    session.add(log)
    await session.flush()
    log.entry_id = await _visit_points(session, principal, person, log)
    session.add(log)
    await session.flush()
    return log


async def visible(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[ContactLog]:
    """The member's own logs, and the visits to the caller's household."""
    person = await bound_person(session, principal, to="查看走访记录")
    terms = [col(ContactLog.member_person_id) == person.id]
    if person.household_id is not None:
        terms.append(col(ContactLog.household_id) == person.household_id)
    stmt: Any = select(ContactLog).where(or_(*terms))
    return await keyset_page(
        session, stmt, order_by=[col(ContactLog.id)], limit=limit, cursor=cursor, descending=True
    )


async def report(
    session: AsyncSession, *, principal: Principal, branch_id: int, period: str
) -> ContactReport:
    """A branch's month: its pairings, how many households were contacted, and which were not."""
    branch = await get_in_scope(session, principal=principal, model=Branch, row_id=branch_id)
    start, end = parse_period(period)
    rows = (
        await session.exec(
            select(Pairing, Household, Person)
            .join(Household, col(Household.id) == col(Pairing.household_id))
            .join(Person, col(Person.id) == col(Pairing.member_person_id))
            .where(col(Pairing.branch_id) == branch.id)
            .order_by(col(Pairing.id))
        )
    ).all()
    contacted: set[tuple[int, int]] = set(
        (
            await session.exec(
                select(ContactLog.member_person_id, ContactLog.household_id).where(
                    col(ContactLog.branch_id) == branch.id,
                    col(ContactLog.created_at) >= start,
                    col(ContactLog.created_at) < end,
                )
            )
        ).all()
    )
    missing = [
        NeverVisited(household_id=id_of(home), head_name=home.head_name, member_name=member.name)
        for pairing, home, member in rows
        if (pairing.member_person_id, pairing.household_id) not in contacted
    ]
    return ContactReport(
        period=period,
        branch_id=id_of(branch),
        pairings=len(rows),
        visited=len(rows) - len(missing),
        never_visited=missing,
    )

"""Which Party member serves which households (党员联系户): set by the branch (or village) admin
within the member's own village; the member and the household each see the other."""

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound, Unprocessable
from app.models.base import id_of
from app.models.contact import (
    ContactLog,
    MyPairing,
    PairedHousehold,
    Pairing,
    PairingCreate,
    PairingsMade,
)
from app.models.roster import Household, Person
from app.services import audit
from app.services.identity import Principal, bound_person, covers, location_of


class MemberNotFound(NotFound):
    code = "contact.member_not_found"
    detail = "找不到该党员，或不在您的管辖范围内。"


class HouseholdElsewhere(Unprocessable):
    code = "contact.household_elsewhere"
    detail = "只能联系党员本村的农户。"


async def create_pairings(
    session: AsyncSession, *, principal: Principal, data: PairingCreate
) -> PairingsMade:
    member = await session.get(Person, data.person_id)
    if member is None or not member.is_party_member or not covers(principal, location_of(member)):
        raise MemberNotFound()
    homes = (
        await session.exec(select(Household).where(col(Household.id).in_(data.household_ids)))
    ).all()
    if len(homes) != len(set(data.household_ids)) or any(
        h.village_id != member.village_id for h in homes
    ):
        raise HouseholdElsewhere()
    for home in homes:
        pairing = (
            await session.exec(select(Pairing).where(col(Pairing.household_id) == home.id))
        ).first()
        before = pairing.member_person_id if pairing else None
        if pairing is None:
            pairing = Pairing(
                town_id=home.town_id,
                village_id=home.village_id,
                household_id=id_of(home),
                member_person_id=id_of(member),
                branch_id=member.branch_id,
            )
        else:  # a household has one member at a time: the new pairing replaces the old
            pairing.member_person_id, pairing.branch_id = id_of(member), member.branch_id
        session.add(pairing)
        await session.flush()
        await audit.record(
            session,
            actor=principal,
            action="pairing.set",
            target_type="household",
            target_id=id_of(home),
            where=location_of(home),
            before={"member_person_id": before},
            after={"member_person_id": member.id},
        )
    return PairingsMade(
        person_id=id_of(member),
        name=member.name,
        households=[
            PairedHousehold(household_id=id_of(h), head_name=h.head_name, number=h.number)
            for h in homes
        ],
    )


async def mine(session: AsyncSession, *, principal: Principal) -> list[MyPairing]:
    """A member's households, or a household's member, with the last contact of each."""
    person = await bound_person(session, principal, to="查看联系户")
    terms = [col(Pairing.member_person_id) == person.id]
    if person.household_id is not None:
        terms.append(col(Pairing.household_id) == person.household_id)
    rows = (
        await session.exec(
            select(Pairing, Person, Household)
            .join(Person, col(Person.id) == col(Pairing.member_person_id))
            .join(Household, col(Household.id) == col(Pairing.household_id))
            .where(or_(*terms))
            .order_by(col(Pairing.id))
        )
    ).all()
    last = {
        (member, home): at
        for member, home, at in (
            await session.exec(
                select(
                    ContactLog.member_person_id,
                    ContactLog.household_id,
                    func.max(ContactLog.created_at),
                )
                .where(col(ContactLog.household_id).in_([p.household_id for p, _, _ in rows]))
                .group_by(col(ContactLog.member_person_id), col(ContactLog.household_id))
            )
        ).all()
    }
    return [
        MyPairing(
            member_person_id=pairing.member_person_id,
            member_name=member.name,
            household_id=pairing.household_id,
            head_name=home.head_name,
            last_contact_at=last.get((pairing.member_person_id, pairing.household_id)),
        )
        for pairing, member, home in rows
    ]

"""Arrears reminded, within the member's subscribe quota and the quiet hours (the inbox's own
rules): the member after one month owed and after three; six months owed is a serious matter
under the Party constitution (article 9), raised once to the branch's admins and the town's."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.db import rows
from app.models.base import id_of
from app.models.dues import ArrearsFlag, DuesBase
from app.models.notifications import NotificationKind
from app.models.roster import Person, Role
from app.services.dues import bills
from app.services.identity import Location, acting_for
from app.services.notifications import notify

TELL_AT = (1, 3)  # months owed when the member is reminded
FLAG_AT = 6


async def remind(session: AsyncSession, *, now: datetime) -> int:
    """Every reminder and flag due; returns how many people were told."""
    month = to_china(now).strftime("%Y-%m")
    with_bases = select(DuesBase.person_id).distinct()
    members = await session.exec(
        select(Person).where(col(Person.id).in_(with_bases), col(Person.is_party_member).is_(True))
    )
    told = 0
    for line in await bills.owed(session, list(members.all()), before=month):
        first = line.months[0]
        for at in TELL_AT:
            if line.months_owed >= at:
                told += await notify(
                    session,
                    people=[line.person_id],
                    kind=NotificationKind.dues_owed,
                    target=("person", line.person_id),
                    occasion=f"{at}:{first}",
                    title="党费提醒",
                    body=f"您已有 {line.months_owed} 个月的党费未交（自 {first} 起），"
                    f"共 {line.owed_fen / 100:.2f} 元。可在小程序交纳，或交给支部党费收缴员。",
                    values={"name": "党费", "note": f"欠交 {line.months_owed} 个月"},
                )
        if line.months_owed >= FLAG_AT:
            told += await _flag(session, line.person_id, first, line.months_owed)
    return told


async def _flag(session: AsyncSession, person_id: int, first: str, months: int) -> int:
    person = await session.get(Person, person_id)
    assert person is not None
    made = await rows.insert_values(
        session,
        ArrearsFlag,
        {
            "person_id": person_id,
            "town_id": person.town_id,
            "village_id": person.village_id,
            "branch_id": person.branch_id,
            "first_owed": first,
            "created_at": utcnow(),
        },
        skip_conflict=True,
    )
    if made is None:
        return 0  # raised before for this run of arrears
    branch = Location(
        town_id=person.town_id, village_id=person.village_id, branch_id=person.branch_id
    )
    town = Location(town_id=person.town_id)
    admins = set(await acting_for(session, branch, [Role.branch_admin, Role.village_admin]))
    admins |= set(await acting_for(session, town, [Role.town_admin]))
    return await notify(
        session,
        people=sorted(admins - {id_of(person)}),
        kind=NotificationKind.dues_arrears,
        target=("person", person_id),
        occasion=first,
        title="党员连续六个月未交党费",
        body=f"{person.name}自 {first} 起已 {months} 个月未交党费，请支部了解情况、谈心谈话。",
        values={"name": person.name, "note": f"欠交 {months} 个月"},
    )

"""The political birthday (入党纪念日): on the anniversary of joining, the member is told how many
years they have been in the Party. Run by the periodic jobs; twice in a day tells no one twice."""

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.members import MemberFile
from app.models.notifications import NotificationKind
from app.models.roster import Person
from app.services.members.files import anniversary, party_age
from app.services.notifications import notify


async def remind(session: AsyncSession, *, now: datetime) -> int:
    """Every member whose anniversary is today (China time); returns how many were told."""
    today = to_china(now).date()
    kept = await session.exec(
        select(col(MemberFile.person_id), col(MemberFile.joined_at))
        .join(Person, col(Person.id) == col(MemberFile.person_id))
        .where(col(MemberFile.joined_at).is_not(None), col(Person.is_party_member).is_(True))
    )
    told = 0
    for person_id, joined in kept.all():
        assert isinstance(joined, date)
        if joined >= today or anniversary(joined, today.year) != today:
            continue
        years = party_age(joined, today)
        told += await notify(
            session,
            people=[person_id],
            kind=NotificationKind.political_birthday,
            target=("person", person_id),
            occasion=str(today.year),
            title="政治生日",
            body=f"今天是您的入党纪念日，您已入党 {years} 年。不忘初心，牢记使命。",
            values={"name": "入党纪念日", "time": now, "note": f"入党 {years} 年"},
        )
    return told

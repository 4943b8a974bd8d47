"""Party age and the political birthday at their edges: the day before and the day of the
anniversary, and a member who joined on 29 February."""

from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from app.models.notifications import Notification, NotificationKind
from app.services.members import anniversaries
from app.services.members.files import anniversary, party_age
from tests.helpers.events import member
from tests.helpers.factories import Login, World


@pytest.mark.parametrize(
    ("joined", "today", "years"),
    [
        (date(2001, 7, 1), date(2026, 6, 30), 24),
        (date(2001, 7, 1), date(2026, 7, 1), 25),
        (date(2004, 2, 29), date(2026, 2, 28), 21),  # a common year: not yet
        (date(2004, 2, 29), date(2026, 3, 1), 22),
        (date(2004, 2, 29), date(2028, 2, 29), 24),  # a leap year: on the day itself
        (date(2026, 7, 1), date(2026, 7, 1), 0),
        (date(2027, 1, 1), date(2026, 7, 1), None),  # a date not yet come has no age
    ],
)
def test_party_age_counts_whole_years(joined: date, today: date, years: int | None) -> None:
    assert party_age(joined, today) == years


def test_twenty_ninth_of_february_is_marked_on_the_first_of_march_in_common_years() -> None:
    assert anniversary(date(2004, 2, 29), 2026) == date(2026, 3, 1)
    assert anniversary(date(2004, 2, 29), 2028) == date(2028, 2, 29)


async def test_the_political_birthday_tells_the_member_once_on_the_day(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    bob = await member(client, world, login, "党员乙")
    for who, joined in ((alice, "2004-02-29"), (bob, "2004-03-02")):
        r = await client.put(
            f"/api/v1/admin/members/{who['person_id']}/file",
            json={"joined_at": joined},
            headers=world.auth("v1_admin"),
        )
        assert r.status_code == 200, r.text
    # 1 March 2026, 10:00 China time: Alice's day in a common year, not Bob's.
    morning = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    async with app.state.sessionmaker() as session, session.begin():
        assert await anniversaries.remind(session, now=morning) == 1
        assert await anniversaries.remind(session, now=morning) == 0
    async with app.state.sessionmaker() as session:
        found = await session.exec(
            select(Notification).where(
                col(Notification.kind) == NotificationKind.political_birthday
            )
        )
        [note] = found.all()
    assert note.person_id == alice["person_id"] and "22 年" in note.body

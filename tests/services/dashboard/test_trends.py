"""The workbench's charts: a year of months, each month holding exactly its own attendances
and points, in the caller's scope only; and the 三会一课 matrix by branch."""

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import select

from app.china_time import utcnow
from app.models.auth import UserAccount
from app.models.dashboard import Trends
from app.services import dashboard
from app.services.dashboard.trends import last_months
from app.services.identity import load_principal
from tests.helpers.events import auth, held_event, make_event, member, token_for
from tests.helpers.factories import Login, World
from tests.helpers.points import award, make_rule


async def _trends(app: FastAPI, world: World, who: str) -> Trends:
    async with app.state.sessionmaker() as session:
        account = (
            await session.exec(select(UserAccount).where(UserAccount.person_id == world.ids[who]))
        ).one()
        assert account.id is not None
        principal = await load_principal(session, account_id=account.id, session_id="")
        assert principal is not None
        return await dashboard.trends(session, principal=principal)


def test_the_last_twelve_months_end_with_this_one_across_a_new_year() -> None:
    assert last_months(3, utcnow().replace(year=2027, month=1, day=15)) == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]


async def test_each_month_holds_its_own_attendance_and_points_in_scope(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(
        client, world, code="party_day", title="参加主题党日", ledger="member", points=5
    )
    await make_rule(client, world, code="clean", title="环境清扫", points=4)
    event = await make_event(client, world, rule_code="party_day", starts_in=timedelta(minutes=5))
    for name in ("党员甲", "党员乙"):
        someone = await member(client, world, login, name)
        token = await token_for(client, world, event["id"])
        r = await client.post(
            f"/api/v1/events/{event['id']}/checkins", json={"token": token}, headers=auth(someone)
        )
        assert r.status_code == 201, r.text
    assert (await award(client, world, code="clean", household="h1")).status_code == 201
    assert (await award(client, world, who="v2_admin", household="h2")).status_code == 201
    # Held means held: the Party day above has not taken place yet; this meeting has, with
    # its minutes (its one scan still waits for review, so it is nobody's attendance yet).
    await held_event(client, world, someone, kind="branch_committee", ended_days_ago=0.01)

    mine = await _trends(app, world, "v1_admin")
    assert len(mine.months) == 12 and mine.months[-1].period == last_months(1)[0]
    this = mine.months[-1]
    # Two check-ins of 5 and one award of 4 in village 1; village 2's award is not ours.
    assert (this.attended, this.points_issued, this.points_spent) == (2, 14, 0)
    assert all(m.attended == m.points_issued == 0 for m in mine.months[:-1])
    [row] = mine.meetings
    assert row.branch_name == "一村党支部" and len(row.cells) == 6
    assert row.cells[-1].held == 1 and row.cells[-1].required > 1

    town = await _trends(app, world, "town_a_admin")
    assert town.months[-1].points_issued == 18
    assert {r.branch_name for r in town.meetings} >= {"一村党支部", "二村党支部"}

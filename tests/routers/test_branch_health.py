"""Branch health: each signal at its threshold's edge, a missing signal never failing, red from
the critical signal or two others, a closed month graded once however often it is asked, the
town's organisers told once when a branch turns red, and a village's admin kept to their own."""

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, func, select

from app.china_time import to_china, utcnow
from app.models.notifications import Notification, NotificationKind
from app.models.warnings import DEFAULT_THRESHOLDS, BranchGrade
from app.services.warnings import health
from tests.helpers.events import attend_offline, file_minutes, member, past_event
from tests.helpers.factories import Login, World


@pytest.mark.parametrize(
    ("signal", "value", "fails"),
    [
        ("meetings_held", 0.6, False),
        ("meetings_held", 0.59, True),
        ("attendance_rate", 0.7, False),
        ("attendance_rate", 0.69, True),
        ("disclosures_published", 6, False),
        ("disclosures_published", 5, True),
        ("objections_open", 0, False),
        ("objections_open", 1, True),
        ("requests_overdue", 1, True),
        ("development_overdue", 1, True),
        ("dues_six_months", 0, False),
        ("dues_six_months", 1, True),
    ],
)
def test_each_signal_at_its_edge(signal: str, value: float, fails: bool) -> None:
    grade, reasons = health.grade_of({signal: value}, DEFAULT_THRESHOLDS)
    assert [r.signal for r in reasons] == ([signal] if fails else [])
    if not fails:
        assert grade == "green"
    else:
        assert grade == ("red" if signal == "meetings_held" else "amber")


def test_two_failing_signals_are_red_and_a_missing_one_is_nothing() -> None:
    assert health.grade_of({}, DEFAULT_THRESHOLDS) == ("green", [])
    grade, reasons = health.grade_of(
        {"attendance_rate": 0.5, "objections_open": 2}, DEFAULT_THRESHOLDS
    )
    assert grade == "red" and len(reasons) == 2


async def test_last_month_graded_once_with_reasons_and_red_told_once(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await client.patch(
        f"/api/v1/admin/towns/{world.ids['town_a']}",
        json={"minutes_due_days": 60},
        headers=world.auth("town_a_admin"),
    )
    today = to_china(utcnow())
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    alice = await member(client, world, login, "党员甲")
    # Branch one: two of its three monthly meetings held last month, everyone there, and the
    # six disclosures of the month published.
    for kind in ("party_day", "branch_committee"):
        event = await past_event(client, world, ended_days_ago=today.day + 1, kind=kind)
        scan = await attend_offline(client, event, alice)
        accepted = await client.post(
            f"/api/v1/admin/checkins/{scan['id']}/review",
            json={"decision": "accept"},
            headers=world.auth("b1_admin"),
        )
        assert accepted.status_code == 200, accepted.text
        assert (await file_minutes(client, world, event)).status_code == 201
    for category in (
        "disclosure_party",
        "disclosure_village",
        "disclosure_finance",
        "disclosure_member_development",
        "disclosure_dues",
        "disclosure_benefits",
    ):
        r = await client.post(
            "/api/v1/posts",
            json={
                "title": "公开",
                "body": "本月公开。",
                "category": category,
                "village_id": world.ids["v1"],
                "disclosure_period": last,
            },
            headers=world.auth("v1_admin"),
        )
        assert r.status_code == 201, r.text
    for _ in range(2):
        r = await client.get(
            "/api/v1/admin/branch-health",
            params={"period": last},
            headers=world.auth("town_a_admin"),
        )
        assert r.status_code == 200, r.text
    grades = {i["branch_id"]: i for i in r.json()["items"]}
    one, two = grades[world.ids["b1"]], grades[world.ids["b2"]]
    assert one["grade"] == "green", one
    assert one["signals"]["meetings_held"] == pytest.approx(0.667)
    assert "dues_six_months" not in one["signals"]  # no bases: the signal is left out
    assert two["grade"] == "red"
    assert {r["signal"] for r in two["reasons"]} == {"meetings_held", "disclosures_published"}
    async with app.state.sessionmaker() as session:
        kept = (
            await session.exec(
                select(func.count()).select_from(BranchGrade).where(col(BranchGrade.period) == last)
            )
        ).one()
        told = (
            await session.exec(
                select(Notification).where(col(Notification.kind) == NotificationKind.branch_red)
            )
        ).all()
    assert kept == 2  # one per branch, however often asked
    assert [n.person_id for n in told] == [world.ids["town_a_admin"]]
    async with app.state.sessionmaker() as session, session.begin():
        await health.grade_last_month(session)  # the job finds the month already graded
    village = await client.get(
        "/api/v1/admin/branch-health",
        params={"town_id": world.ids["town_b"], "period": last},
        headers=world.auth("town_a_admin"),
    )
    assert village.status_code == 404

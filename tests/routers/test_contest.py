"""The strongest-branch contest: weights must add up to 100; judges' sheets (once, final, judges
only); the highest and lowest dropped with five sheets and not with four; computed metrics on a
known data set, normalised across branches; the ranking as JSON and as a paper; the close that
freezes it, publishes the winners and splits the prize to the fen."""

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from app.china_time import to_china, utcnow
from app.models.contest import Metric
from app.models.roster import Branch
from app.services.contest import metrics
from tests.helpers.cooperatives import income
from tests.helpers.events import held_event, make_event, member, past_event
from tests.helpers.factories import Login, World
from tests.helpers.papers import read_paper

JUDGES = ["v1_admin", "v2_admin", "b1_admin", "g1_worker", "v1_villager"]
CRITERIA = [
    {"code": "onsite", "title": "现场评审", "weight": 40, "source": "judged"},
    {
        "code": "meetings",
        "title": "三会一课",
        "weight": 30,
        "source": "computed",
        "metric": "meeting_compliance",
    },
    {
        "code": "coops",
        "title": "集体收入",
        "weight": 30,
        "source": "computed",
        "metric": "collective_income",
    },
]


async def _contest(client: httpx.AsyncClient, world: World, **extra: Any) -> httpx.Response:
    body = {
        "year": to_china(utcnow()).year,
        "title": "最强党支部",
        "criteria": CRITERIA,
        **extra,
    }
    return await client.post(
        "/api/v1/admin/contests", json=body, headers=world.auth("town_a_admin")
    )


async def _score(
    client: httpx.AsyncClient, world: World, contest_id: int, judge: str, branch: str, value: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/contests/{contest_id}/scores",
        json={"branch_id": world.ids[branch], "scores": {"onsite": value}},
        headers=world.auth(judge),
    )


async def test_weights_must_add_up_to_100(client: httpx.AsyncClient, world: World) -> None:
    short = await _contest(client, world, criteria=[{**CRITERIA[0], "weight": 60}, CRITERIA[1]])
    assert short.status_code == 422 and short.json()["code"] == "contest.weights"
    no_metric = await _contest(
        client, world, criteria=[{**CRITERIA[1], "metric": None, "weight": 100}]
    )
    assert no_metric.status_code == 422


async def test_judges_the_ranking_and_the_close(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    made = await _contest(client, world, prize_fen=10_000, prize_rule="split")
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    judges = await client.post(
        f"/api/v1/admin/contests/{cid}/judges",
        json={"person_ids": [world.ids[j] for j in JUDGES]},
        headers=world.auth("town_a_admin"),
    )
    assert judges.status_code == 200, judges.text

    # Known data: b1 held two of the year's meetings, b2 one (and scheduled one nobody came to);
    # b1's cooperatives earned twice b2's.
    ours, theirs = (
        await member(client, world, login, "党员甲"),
        await member(client, world, login, "党员乙", branch="b2"),
    )
    await held_event(client, world, ours, kind="party_day")
    await held_event(client, world, ours, kind="branch_committee")
    await held_event(client, world, theirs, who="v2_admin", branch_id=world.ids["b2"])
    await past_event(
        client, world, kind="branch_committee", who="v2_admin", branch_id=world.ids["b2"]
    )
    await income(client, world, "b1", "b1_admin", 200)
    await income(client, world, "b2", "v2_admin", 100)

    for judge, value in zip(JUDGES, (60, 70, 80, 90, 100), strict=True):
        assert (await _score(client, world, cid, judge, "b1", value)).status_code == 201
    for judge, value in zip(JUDGES[:4], (60, 70, 80, 100), strict=True):
        assert (await _score(client, world, cid, judge, "b2", value)).status_code == 201
    again = await _score(client, world, cid, "v1_admin", "b1", 10)
    assert again.status_code == 409 and again.json()["code"] == "contest.already_scored"
    outsider = await _score(client, world, cid, "v2_villager", "b1", 50)
    assert outsider.status_code == 403 and outsider.json()["code"] == "contest.not_judge"
    too_high = await _score(client, world, cid, "v1_villager", "b2", 101)
    assert too_high.status_code == 422 and too_high.json()["code"] == "contest.scores_invalid"
    other_branch = await client.post(
        "/api/v1/admin/branches",
        json={"town_id": world.ids["town_b"], "name": "乙镇党支部"},
        headers=world.auth("town_b_admin"),
    )
    world.ids["bw"] = other_branch.json()["id"]
    elsewhere = await _score(client, world, cid, "v1_villager", "bw", 50)
    assert elsewhere.status_code == 422 and elsewhere.json()["code"] == "contest.branch_elsewhere"

    ranking = await client.get(
        f"/api/v1/admin/contests/{cid}/ranking", headers=world.auth("town_a_admin")
    )
    lines = {line["branch_name"]: line for line in ranking.json()["items"]}
    b1, b2 = lines["一村党支部"], lines["二村党支部"]
    # Five sheets: 60 and 100 dropped, 80 left; four sheets: the plain mean, 77.5.
    assert (b1["values"]["onsite"], b2["values"]["onsite"]) == (80.0, 77.5)
    assert (b1["values"]["meetings"], b2["values"]["meetings"]) == (100.0, 50.0)
    assert (b1["values"]["coops"], b2["values"]["coops"]) == (100.0, 50.0)
    assert (b1["total"], b2["total"]) == (92.0, 61.0)
    assert (b1["rank"], b2["rank"], b1["sheets"]) == (1, 2, 5)
    paper = read_paper(
        await client.get(
            f"/api/v1/admin/contests/{cid}/ranking",
            params={"format": "xlsx"},
            headers=world.auth("town_a_admin"),
        )
    )
    assert paper.file_name.endswith("最强党支部评比排名.xlsx")
    assert paper.rows[0][:2] == [1, "一村党支部"] and 92.0 in paper.rows[0]

    closed = await client.post(
        f"/api/v1/admin/contests/{cid}/close", headers=world.auth("town_a_admin")
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["post_id"]
    late = await _score(client, world, cid, "v1_villager", "b2", 99)
    assert late.status_code == 409 and late.json()["code"] == "contest.closed"
    await income(client, world, "b2", "v2_villager", 10_000)  # after the close: changes nothing
    frozen = await client.get(
        f"/api/v1/admin/contests/{cid}/ranking", headers=world.auth("town_a_admin")
    )
    data = frozen.json()
    assert data["closed"] is True
    prizes = {line["branch_name"]: line["prize_fen"] for line in data["items"]}
    assert prizes["一村党支部"] + prizes["二村党支部"] == 10_000
    assert prizes == {**prizes, "一村党支部": 6013, "二村党支部": 3987}
    assert {line["branch_name"]: line["total"] for line in data["items"]}["二村党支部"] == 61.0
    feed = await client.get(
        "/api/v1/feed", params={"category": "commendation"}, headers=world.auth("v1_villager")
    )
    assert any("最强党支部评比结果" in p["title"] for p in feed.json()["items"])
    twice = await client.post(
        f"/api/v1/admin/contests/{cid}/close", headers=world.auth("town_a_admin")
    )
    assert twice.status_code == 409
    other_town = await client.get(
        f"/api/v1/admin/contests/{cid}/ranking", headers=world.auth("town_b_admin")
    )
    assert other_town.status_code == 404


async def test_attendance_volunteering_and_disclosures_on_a_known_data_set(
    client: httpx.AsyncClient, world: World, app: FastAPI, login: Login
) -> None:
    """The three metrics the ranking test leaves out, each on data small enough to count by
    hand, then scaled so the better branch has 100."""
    b1 = [await member(client, world, login, f"一支部党员{i}") for i in range(2)]
    b2 = [await member(client, world, login, f"二支部党员{i}", branch="b2") for i in range(2)]
    # Attendance: one of b1's two members came; both of b2's.
    ours = await make_event(client, world)
    theirs = await make_event(client, world, who="v2_admin", branch_id=world.ids["b2"])
    for event, who, admin in ((ours, b1[:1], "b1_admin"), (theirs, b2, "v2_admin")):
        for one in who:
            qr = await client.get(f"/api/v1/events/{event['id']}/qr", headers=world.auth(admin))
            came = await client.post(
                f"/api/v1/events/{event['id']}/checkins",
                json={"token": qr.json()["token"]},
                headers={"Authorization": one["Authorization"]},
            )
            assert came.status_code == 201, came.text
    # Volunteering: 120 confirmed minutes among b1's two members, 60 among b2's.
    for village, admin, person, minutes in (
        ("v1", "v1_admin", b1[0], 120),
        ("v2", "v2_admin", b2[0], 60),
    ):
        starts = utcnow() - timedelta(hours=4)
        act = await client.post(
            "/api/v1/admin/activities",
            json={
                "title": "清扫村道",
                "village_id": world.ids[village],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=3)).isoformat(),
            },
            headers=world.auth(admin),
        )
        record = await client.post(
            f"/api/v1/admin/activities/{act.json()['id']}/records",
            json={
                "person_id": int(person["person_id"]),
                "sign_in_at": starts.isoformat(),
                "sign_out_at": (starts + timedelta(minutes=minutes)).isoformat(),
                "note": "组织者补录",
            },
            headers=world.auth(admin),
        )
        assert record.status_code == 201, record.text
        confirmed = await client.post(
            f"/api/v1/admin/activities/{act.json()['id']}/confirm",
            json={"record_ids": [record.json()["id"]]},
            headers=world.auth(admin),
        )
        assert confirmed.status_code == 200, confirmed.text
    # Disclosures: v1 published this month's on time; v2 one three months late.
    now = to_china(utcnow())
    late = f"{now.year}-01" if now.month > 3 else None
    for admin, village, period in (
        ("v1_admin", "v1", now.strftime("%Y-%m")),
        ("v2_admin", "v2", late),
    ):
        if period is None:
            continue
        posted = await client.post(
            "/api/v1/posts",
            json={
                "title": "党务公开",
                "body": "本月党务公开。",
                "category": "disclosure_party",
                "village_id": world.ids[village],
                "disclosure_period": period,
            },
            headers=world.auth(admin),
        )
        assert posted.status_code == 201, posted.text

    async with app.state.sessionmaker() as session:
        branches = (
            await session.exec(select(Branch).where(col(Branch.town_id) == world.ids["town_a"]))
        ).all()
        by_id = {world.ids["b1"]: "b1", world.ids["b2"]: "b2"}

        async def measured(metric: Metric) -> dict[str, float]:
            values = await metrics.measure(session, metric, branches, world.ids["town_a"], now.year)
            return {by_id[b]: v for b, v in values.items() if b in by_id}

        assert await measured(Metric.attendance_rate) == {"b1": 50.0, "b2": 100.0}
        assert await measured(Metric.volunteer_minutes_per_member) == {"b1": 100.0, "b2": 50.0}
        disclosed = await measured(Metric.disclosures_on_time)
        assert disclosed == {"b1": 100.0, "b2": 0.0}

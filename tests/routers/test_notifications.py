"""The inbox: every trigger writes exactly one row for exactly the right people; the phone's
list, unread badge and mark-read; notices within the sender's scope."""

from datetime import datetime, time, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app.china_time import CHINA, to_china, utcnow
from app.models.grid import GridTask
from app.models.notifications import Notification
from app.models.shop import ShopRedemption
from app.services.events import reminders
from app.services.grid import overdue
from app.services.shop import warn_expiring
from tests.helpers.events import make_event, member
from tests.helpers.factories import Login, World
from tests.helpers.points import award, make_rule
from tests.helpers.shop import fund, goods, redeem
from tests.helpers.volunteer import activity, hand_entry


async def _inbox(app: FastAPI, kind: str) -> list[tuple[int, str, str]]:
    """(person, target, occasion) of every row of this kind, in the order written."""
    async with app.state.sessionmaker() as session:
        rows = await session.exec(
            select(Notification)
            .where(col(Notification.kind) == kind)
            .order_by(col(Notification.id))
        )
        return [(r.person_id, r.target_id, r.occasion) for r in rows.all()]


async def test_inbox_list_unread_badge_and_mark_read(
    client: httpx.AsyncClient, world: World
) -> None:
    for n in range(3):
        r = await client.post(
            "/api/v1/admin/notices",
            json={"title": f"通知{n}", "body": "请按时参加"},
            headers=world.auth("v1_admin"),
        )
        assert r.status_code == 201, r.text
    me = world.auth("v1_villager")
    badge = await client.get("/api/v1/me/notifications/unread-count", headers=me)
    assert badge.json() == {"count": 3}
    first = await client.get("/api/v1/me/notifications", params={"limit": 2}, headers=me)
    page = first.json()
    assert [i["title"] for i in page["items"]] == ["通知2", "通知1"]  # newest first
    assert page["items"][0]["page"].startswith("pages/notice/detail?id=")
    rest = await client.get(
        "/api/v1/me/notifications", params={"cursor": page["next_cursor"]}, headers=me
    )
    assert [i["title"] for i in rest.json()["items"]] == ["通知0"]
    assert rest.json()["next_cursor"] is None
    # Someone else's id is silently not mine.
    others = await client.get("/api/v1/me/notifications", headers=world.auth("v1_admin"))
    foreign = others.json()["items"][0]["id"]
    marked = await client.post(
        "/api/v1/me/notifications/read",
        json={"ids": [page["items"][0]["id"], foreign]},
        headers=me,
    )
    assert marked.json() == {"updated": 1}
    unread = await client.get("/api/v1/me/notifications", params={"unread": True}, headers=me)
    assert [i["title"] for i in unread.json()["items"]] == ["通知1", "通知0"]
    everything = await client.post("/api/v1/me/notifications/read", json={"all": True}, headers=me)
    assert everything.json() == {"updated": 2}
    badge = await client.get("/api/v1/me/notifications/unread-count", headers=me)
    assert badge.json() == {"count": 0}
    admin_badge = await client.get(
        "/api/v1/me/notifications/unread-count", headers=world.auth("v1_admin")
    )
    assert admin_badge.json() == {"count": 3}
    empty = await client.post("/api/v1/me/notifications/read", json={}, headers=me)
    assert empty.status_code == 422


async def test_notices_reach_their_audience_within_scope(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    async def send(who: str, **body: Any) -> httpx.Response:
        return await client.post(
            "/api/v1/admin/notices",
            json={"title": "党员大会", "body": "周五晚七点", **body},
            headers=world.auth(who),
        )

    to_branch = await send(
        "v1_admin", audience={"branch_id": world.ids["b1"]}, party_members_only=False
    )
    assert to_branch.status_code == 201, to_branch.text
    assert to_branch.json()["recipients"] == 1  # b1_admin is the branch's only person
    assert {p for p, _, _ in await _inbox(app, "notice")} == {world.ids["b1_admin"]}
    elsewhere = await send("v1_admin", audience={"village_id": world.ids["v2"]})
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "notice.audience_not_found"
    other_town = await send("town_a_admin", audience={"town_id": world.ids["town_b"]})
    assert other_town.status_code == 404
    villager = await send("v1_villager")
    assert villager.status_code == 403
    whole_town = await send("town_a_admin", audience={"town_id": world.ids["town_a"]})
    town_people = {
        world.ids[name]
        for name in world.ids
        if name.startswith(("v1_", "v2_", "b1_", "g1_", "town_a_"))
    }
    reached = {
        p for p, target, _ in await _inbox(app, "notice") if target == str(whole_town.json()["id"])
    }
    assert reached == town_people
    assert world.ids["w1_villager"] not in reached
    # Only Party members: none in this world yet, then one.
    members = await send("v1_admin", party_members_only=True)
    assert members.json()["recipients"] == 0
    read = await client.get(
        f"/api/v1/admin/notices/{whole_town.json()['id']}", headers=world.auth("v2_admin")
    )
    assert read.status_code == 404  # a town's notice is the town admins' to follow


async def test_leave_appeal_post_and_points_are_told_to_the_one_concerned(
    client: httpx.AsyncClient, world: World, app: FastAPI, login: Login
) -> None:
    event = await make_event(client, world, starts_in=timedelta(days=2))
    who = await member(client, world, login, "请假党员")
    asked = await client.post(
        f"/api/v1/events/{event['id']}/leave-requests",
        json={"reason": "外出务工"},
        headers={"Authorization": who["Authorization"]},
    )
    await client.post(
        f"/api/v1/admin/leave-requests/{asked.json()['id']}/decision",
        json={"decision": "approve"},
        headers=world.auth("b1_admin"),
    )
    assert await _inbox(app, "leave_decided") == [(int(who["person_id"]), str(event["id"]), "")]

    await make_rule(client, world, points=10)
    await make_rule(client, world, code="litter", title="乱扔垃圾", points=-5)
    posted = (await award(client, world)).json()
    penalty = (await award(client, world, code="litter")).json()
    told = await _inbox(app, "points_posted")
    # The household's only signed-in member, once per entry.
    assert told == [
        (world.ids["v1_villager"], str(posted["id"]), ""),
        (world.ids["v1_villager"], str(penalty["id"]), ""),
    ]
    appeal = await client.post(
        f"/api/v1/points/entries/{penalty['id']}/appeals",
        json={"reason": "不是我家"},
        headers=world.auth("v1_villager"),
    )
    await client.post(
        f"/api/v1/admin/appeals/{appeal.json()['id']}/decision",
        json={"decision": "uphold", "note": "核实"},
        headers=world.auth("v1_admin"),
    )
    assert await _inbox(app, "appeal_decided") == [
        (world.ids["v1_villager"], str(appeal.json()["id"]), "")
    ]
    assert len(await _inbox(app, "points_posted")) == 2  # the reversal speaks as the appeal

    await make_rule(client, world, code="review", title="待审", points=3, requires_approval=True)
    pending = (await award(client, world, code="review")).json()
    assert len(await _inbox(app, "points_posted")) == 2  # nothing until it is decided
    await client.post(
        f"/api/v1/admin/points/entries/{pending['id']}/decision",
        json={"decision": "approve"},
        headers=world.auth("v1_admin"),
    )
    assert (await _inbox(app, "points_posted"))[-1][1] == str(pending["id"])

    post = await client.post(
        "/api/v1/posts",
        json={"title": "丰收节", "body": "欢迎参加", "category": "news", "media_ids": []},
        headers=world.auth("v1_villager"),
    )
    await client.post(
        f"/api/v1/admin/posts/{post.json()['id']}/review",
        json={"decision": "reject", "reason": "请补充时间地点"},
        headers=world.auth("v1_admin"),
    )
    assert await _inbox(app, "post_reviewed") == [
        (world.ids["v1_villager"], str(post.json()["id"]), "")
    ]


async def test_grid_shop_and_volunteer_tell_their_people(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    job = {
        "origin": "assigned",
        "category": "safety_hazard",
        "title": "冬季消防安全巡查",
        "grid_id": world.ids["g1"],
        "assignee_person_id": world.ids["g1_worker"],
        "media_ids": [],
    }
    task = (
        await client.post("/api/v1/grid/tasks", json=job, headers=world.auth("v1_admin"))
    ).json()
    assert await _inbox(app, "grid_task_assigned") == [
        (world.ids["g1_worker"], str(task["id"]), "")
    ]
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(GridTask).values(due_at=utcnow() - timedelta(hours=1)))
    for _ in range(2):  # the job runs again: still told once
        async with app.state.sessionmaker() as session, session.begin():
            await overdue.notify_overdue(session, now=utcnow())
    assert await _inbox(app, "grid_task_overdue") == [(world.ids["g1_worker"], str(task["id"]), "")]

    await fund(client, world, "h1", 50)
    item = await goods(client, world, points=20)
    made = (await redeem(client, world.auth("v1_villager"), item["id"])).json()
    assert await _inbox(app, "redemption_ready") == [
        (world.ids["v1_villager"], str(made["id"]), "")
    ]
    async with app.state.sessionmaker() as session, session.begin():
        assert await warn_expiring(session, now=utcnow()) == 0  # seven days left
        await session.execute(
            update(ShopRedemption).values(expires_at=utcnow() + timedelta(hours=20))
        )
    for _ in range(2):
        async with app.state.sessionmaker() as session, session.begin():
            await warn_expiring(session, now=utcnow())
    assert await _inbox(app, "redemption_expiring") == [
        (world.ids["v1_villager"], str(made["id"]), "")
    ]

    act = await activity(client, world, starts=timedelta(hours=-4), length=timedelta(hours=3))
    starts = utcnow() - timedelta(hours=4)
    record = (
        await hand_entry(client, world, act["id"], starts, starts + timedelta(hours=2))
    ).json()
    await client.post(
        f"/api/v1/admin/activities/{act['id']}/confirm",
        json={"record_ids": [record["id"]]},
        headers=world.auth("v1_admin"),
    )
    assert await _inbox(app, "volunteer_confirmed") == [
        (world.ids["v1_villager"], str(record["id"]), "")
    ]


async def test_party_day_reminders_skip_the_checked_in_and_those_on_leave(
    client: httpx.AsyncClient, world: World, app: FastAPI, login: Login
) -> None:
    event = await make_event(client, world, starts_in=timedelta(minutes=20))
    present = await member(client, world, login, "已签到")
    on_leave = await member(client, world, login, "请假中")
    waiting = await member(client, world, login, "未签到")
    elsewhere = await member(client, world, login, "别的支部", branch="b2")
    qr = await client.get(f"/api/v1/events/{event['id']}/qr", headers=world.auth("b1_admin"))
    checked = await client.post(
        f"/api/v1/events/{event['id']}/checkins",
        json={"token": qr.json()["token"]},
        headers={"Authorization": present["Authorization"]},
    )
    assert checked.status_code == 201, checked.text
    await client.post(
        f"/api/v1/events/{event['id']}/leave-requests",
        json={"reason": "生病"},
        headers={"Authorization": on_leave["Authorization"]},
    )
    for _ in range(2):  # two workers' runs
        async with app.state.sessionmaker() as session, session.begin():
            await reminders.remind(session, now=utcnow())
    told = await _inbox(app, "event_reminder")
    # Only the member neither checked in nor on leave, once per occasion for two runs. Between
    # 23:40 and midnight China time the event, 20 minutes off, falls on the next China day and
    # its evening-before reminder is due as well: the occasions may be "hour" and "eve".
    assert {(p, target) for p, target, _ in told} == {(int(waiting["person_id"]), str(event["id"]))}
    assert "hour" in {occasion for _, _, occasion in told}
    assert len(told) == len(set(told))
    assert int(elsewhere["person_id"]) not in {p for p, _, _ in told}


async def test_the_evening_before_from_six(
    client: httpx.AsyncClient, world: World, app: FastAPI, login: Login
) -> None:
    today = to_china(utcnow()).date()
    tomorrow_nine = datetime.combine(today + timedelta(days=1), time(9), tzinfo=CHINA)
    event = await make_event(client, world, starts_in=tomorrow_nine - utcnow())
    waiting = await member(client, world, login, "明天开会")
    before_six = datetime.combine(today, time(17, 59), tzinfo=CHINA)
    after_six = datetime.combine(today, time(18, 5), tzinfo=CHINA)
    async with app.state.sessionmaker() as session, session.begin():
        assert await reminders.remind(session, now=before_six) == 0
        assert await reminders.remind(session, now=after_six) == 1
    assert await _inbox(app, "event_reminder") == [
        (int(waiting["person_id"]), str(event["id"]), "eve")
    ]

"""Party life records in the console, as the secretary and the town organiser use them: the
minutes written on the event's page and sent back from the town's list, an event moved and then
cancelled before it starts, and a Party group made on its page."""

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.china_time import to_china, utcnow
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.events import attend_offline, auth, make_event, member, past_event
from tests.helpers.factories import Login, World


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_minutes_written_on_the_page_and_sent_back_by_the_town(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    await member(client, world, login, "党员乙")
    event = await past_event(client, world, title="十一月主题党日")
    await attend_offline(client, event, alice)
    async with console("v1_admin") as browser:
        shown = await browser.get(f"/console/events/{event['id']}")
        assert "还没有会议记录" in shown.text and "填写会议记录" in shown.text
        body = {
            "csrf_token": field(shown.text, "csrf_token"),
            "once": field(shown.text, "once"),
            "topics": "学习全会精神\n研究环境整治",
            "content": "书记领学，党员逐一发言。",
            "decisions": "每周六清扫",
            "confirm_present": "1",
            "present": str(alice["person_id"]),
        }
        filed = await browser.post(f"/console/events/{event['id']}/minutes", data=body)
        assert filed.status_code == 303
        page = await browser.get(filed.headers["location"])
        assert "会议记录已提交" in page.text and "研究环境整治" in page.text
        assert "第 1 版" in page.text and "1 人" in page.text
        again = await browser.post(
            f"/console/events/{event['id']}/minutes",
            data={**body, "once": "second", "content": "补充：会议还讨论了秋收。"},
        )
        page = await browser.get(again.headers["location"])
        assert "第 2 版" in page.text and "历次版本（2）" in page.text
        assert "退回会议记录" not in page.text  # a village admin does not review
    async with console("town_a_admin") as browser:
        listed = await browser.get("/console/minutes")
        assert "十一月主题党日" in listed.text and "第 2 版" in listed.text
        shown = await browser.get(f"/console/events/{event['id']}")
        back = await browser.post(
            f"/console/events/{event['id']}/minutes/return",
            data={
                "csrf_token": field(shown.text, "csrf_token"),
                "once": field(shown.text, "once"),
                "reason": "缺少会议照片",
            },
        )
        page = await browser.get(back.headers["location"])
        assert "会议记录已退回" in page.text and "缺少会议照片" in page.text
        returned = await browser.get("/console/minutes?returned=yes")
        assert "已退回：缺少会议照片" in returned.text
    api = await client.get(
        f"/api/v1/admin/events/{event['id']}/minutes", headers=world.auth("v1_admin")
    )
    assert api.json()["latest"]["return_reason"] == "缺少会议照片"
    assert api.json()["versions"][1]["content"] == "书记领学，党员逐一发言。"
    async with console("v2_admin") as browser:
        assert (await browser.get(f"/console/events/{event['id']}")).status_code == 404
        assert "十一月主题党日" not in (await browser.get("/console/minutes")).text
        refused = await browser.post(
            f"/console/events/{event['id']}/minutes",
            data={**body, "csrf_token": field((await browser.get("/console/")).text, "csrf_token")},
        )
        assert refused.status_code == 303  # told on the page it came from, written nowhere
    versions = await client.get(
        f"/api/v1/admin/events/{event['id']}/minutes", headers=world.auth("v1_admin")
    )
    assert len(versions.json()["versions"]) == 2


async def test_an_event_moved_then_cancelled_from_its_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    event = await make_event(client, world, starts_in=timedelta(days=2), title="主题党日")
    day = (to_china(utcnow()) + timedelta(days=3)).date()
    async with console("v1_admin") as browser:
        shown = await browser.get(f"/console/events/{event['id']}")
        assert "修改时间、地点、议程" in shown.text
        moved = await browser.post(
            f"/console/events/{event['id']}/change",
            data={
                "csrf_token": field(shown.text, "csrf_token"),
                "once": field(shown.text, "once"),
                "title": "主题党日（改期）",
                "day": day.isoformat(),
                "starts": "14:00",
                "ends": "16:00",
                "venue_name": "文化广场",
                "agenda": "讲党课",
            },
        )
        page = await browser.get(moved.headers["location"])
        assert "活动已修改" in page.text and "变更记录" in page.text
        cancelled = await browser.post(
            f"/console/events/{event['id']}/cancel",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": field(page.text, "once"),
                "reason": "暴雨预警",
            },
        )
        page = await browser.get(cancelled.headers["location"])
        assert "取消：暴雨预警" in page.text and "修改时间、地点、议程" not in page.text
        month = await browser.get(f"/console/events?month={day:%Y-%m}")
        assert "（已取消）" in month.text
    api = await client.get(f"/api/v1/admin/events/{event['id']}", headers=world.auth("v1_admin"))
    assert api.json()["status"] == "cancelled" and api.json()["title"] == "主题党日（改期）"
    assert api.json()["starts_at"].startswith(f"{day.isoformat()}T14:00:00+08:00")
    inbox = await client.get("/api/v1/me/notifications", headers=auth(alice))
    assert {n["kind"] for n in inbox.json()["items"]} == {"event_changed", "event_cancelled"}


async def test_a_party_group_made_on_its_page_is_the_apis(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    leader = await member(client, world, login, "组长甲")
    other = await member(client, world, login, "组员乙")
    async with console("b1_admin") as browser:
        shown = await browser.get("/console/party-groups")
        made = await browser.post(
            "/console/party-groups",
            data={
                "csrf_token": field(shown.text, "csrf_token"),
                "once": field(shown.text, "once"),
                "branch_id": str(world.ids["b1"]),
                "name": "第一党小组",
                "leader_id": str(leader["person_id"]),
                "member_ids": f"{other['person_id']}，",
            },
        )
        page = await browser.get(made.headers["location"])
        assert "党小组“第一党小组”已建好" in page.text and "组员乙" in page.text
    listed = await client.get("/api/v1/admin/party-groups", headers=world.auth("v1_admin"))
    [group] = listed.json()["items"]
    assert group["member_ids"] == sorted([leader["person_id"], other["person_id"]])

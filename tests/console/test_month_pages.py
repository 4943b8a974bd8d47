"""Part 2's pages over HTTP, as the person who uses each: a Party day made from the calendar
is the API's event with its board and papers; a code fulfilled at the counter is the API's
fulfilment, once; the papers page hands over each paper; the town's view shows each village
and a village admin only their own."""

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.china_time import to_china, utcnow
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.events import auth, make_event, member, token_for
from tests.helpers.factories import Login, World
from tests.helpers.papers import read_paper
from tests.helpers.shop import fund, goods, redeem


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_a_party_day_made_from_the_calendar_is_the_apis_event(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    tomorrow = (to_china(utcnow()) + timedelta(days=1)).date()
    async with console("v1_admin") as browser:
        form = await browser.get(f"/console/events/new?day={tomorrow.isoformat()}")
        assert f'value="{tomorrow.isoformat()}"' in form.text
        body = {
            "csrf_token": field(form.text, "csrf_token"),
            "once": field(form.text, "once"),
            "kind": "party_day",
            "branch_id": str(world.ids["b1"]),
            "title": "十二月主题党日",
            "day": tomorrow.isoformat(),
            "starts": "09:00",
            "ends": "11:00",
            "venue_name": "村委会二楼",
            "lat": "40.0",
            "lng": "116.0",
            "radius_m": "300",
            "agenda": "讲党课\n志愿服务",
        }
        no_time = await browser.post("/console/events", data={**body, "starts": "", "once": "a"})
        shown = await browser.get(no_time.headers["location"])
        assert "请填写日期和开始、结束时间" in shown.text
        made = await browser.post("/console/events", data=body)
        assert made.status_code == 303 and made.headers["location"].startswith("/console/events/")
        page = await browser.get(made.headers["location"])
        assert "十二月主题党日" in page.text and "讲党课" in page.text and "村委会二楼" in page.text
        month = await browser.get(f"/console/events?month={tomorrow:%Y-%m}")
        assert "十二月主题党日" not in month.text  # the calendar shows kind and time
        assert "09:00 主题党日" in month.text
    listed = await client.get("/api/v1/admin/events", headers=world.auth("v1_admin"))
    [event] = listed.json()["items"]
    assert event["title"] == "十二月主题党日" and event["agenda"]["items"] == ["讲党课", "志愿服务"]
    assert event["starts_at"].startswith(f"{tomorrow.isoformat()}T09:00:00+08:00")
    async with console("v2_admin") as browser:
        assert (await browser.get(f"/console/events/{event['id']}")).status_code == 404
        assert (await browser.get(f"/console/events/{event['id']}/board")).status_code == 404
        assert (await browser.get(f"/console/events/{event['id']}/poster")).status_code == 404


async def test_the_board_counts_a_check_in_and_the_papers_come_out(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    event = await make_event(client, world, title='=HYPERLINK("http://evil.example")')
    someone = await member(client, world, login, "党员甲")
    await member(client, world, login, "党员乙")
    token = await token_for(client, world, event["id"])
    r = await client.post(
        f"/api/v1/events/{event['id']}/checkins", json={"token": token}, headers=auth(someone)
    )
    assert r.status_code == 201, r.text
    async with console("v1_admin") as browser:
        board = await browser.get(
            f"/console/events/{event['id']}/board", headers={"HX-Request": "true"}
        )
        assert "<html" not in board.text
        assert '<li class="present"><b>1</b>出席</li>' in board.text
        assert '<li class="absent"><b>1</b>未到</li>' in board.text
        paper = read_paper(await browser.get(f"/console/events/{event['id']}/attendance.xlsx"))
        assert sorted(paper.column("姓名")) == ["党员乙", "党员甲"]
        # A title typed as a formula stays text in the paper: no spreadsheet runs it.
        typed = [c for row in paper.sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
        assert typed and all(c.data_type == "s" for c in typed)
        poster = await browser.get(f"/console/events/{event['id']}/poster?format=pdf")
        assert poster.headers["content-type"] == "application/pdf"
        assert poster.content.startswith(b"%PDF")
        listing = await browser.get("/console/papers")
        assert "三会一课落实情况统计表" in listing.text
        compliance = read_paper(await browser.get("/console/papers/compliance.xlsx"))
        assert "一村党支部" in compliance.column("党支部")
        stars = await browser.get("/console/papers/stars.xlsx")
        assert read_paper(stars).file_name.endswith(".xlsx")
        assert (await browser.get("/console/papers/nothing.xlsx")).status_code == 404


async def _keeper(client: httpx.AsyncClient, world: World, who: str, village: str) -> None:
    r = await client.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": world.ids[who],
            "role": "shop_keeper",
            "scope_type": "village",
            "scope_id": world.ids[village],
        },
        headers=world.auth("town_a_admin"),
    )
    assert r.status_code == 201, r.text


async def test_a_code_is_looked_up_and_handed_over_once_at_its_own_villages_counter(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    await fund(client, world, "h1", 100)
    soap = await goods(client, world, points=30, stock=5)
    made = await redeem(client, world.auth("v1_villager"), soap["id"])
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    await _keeper(client, world, "v1_villager", "v1")
    await _keeper(client, world, "v2_villager", "v2")
    async with console("v2_villager") as browser:
        other = await browser.get(f"/console/counter?code={code}")
        assert "不是本村积分超市的" in other.text and "确认领取" not in other.text
    async with console("v1_villager") as browser:
        assert (await browser.get("/console/")).headers["location"] == "/console/counter"
        assert (await browser.get("/console/people")).status_code == 403
        found = await browser.get(
            f"/console/counter?code={code.lower()}", headers={"HX-Request": "true"}
        )
        assert "洗衣液" in found.text and "王一户" in found.text and "确认领取" in found.text
        form = {"csrf_token": field(found.text, "csrf_token"), "code": code}
        done = await browser.post("/console/counter/fulfil", data={**form, "once": "f1"})
        assert "已领取" in (await browser.get(done.headers["location"])).text
        again = await browser.post("/console/counter/fulfil", data={**form, "once": "f2"})
        assert "不能重复领取" in (await browser.get(again.headers["location"])).text
        unknown = await browser.get("/console/counter?code=NOPE42")
        assert "兑换码不存在" in unknown.text
    mine = await client.get("/api/v1/me/redemptions", headers=world.auth("v1_villager"))
    assert mine.json()["items"][0]["status"] == "fulfilled"


async def test_the_town_sees_its_villages_and_a_village_only_itself(
    world: World, console: ConsoleAs
) -> None:
    async with console("town_a_admin") as browser:
        town = await browser.get("/console/town")
        assert "一村" in town.text and "二村" in town.text and "乙一村" not in town.text
        drilled = await browser.get(f"/console/?village_id={world.ids['v2']}")
        assert drilled.status_code == 200 and "二村 · 工作台" in drilled.text
        assert "二村党支部" in drilled.text and "一村党支部" not in drilled.text
    async with console("v1_admin") as browser:
        mine = await browser.get("/console/town")
        assert "一村" in mine.text and "二村" not in mine.text
        assert (await browser.get(f"/console/?village_id={world.ids['v2']}")).status_code == 404
        assert (await browser.get(f"/console/?village_id={world.ids['w1']}")).status_code == 404


async def test_a_development_case_moves_one_step_from_its_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    person = await client.post(
        "/api/v1/admin/people",
        json={"name": "申请人甲", "phone": "13912340001", "village_id": world.ids["v1"]},
        headers=world.auth("v1_admin"),
    )
    applied = (to_china(utcnow()) - timedelta(days=60)).date()
    opened = await client.post(
        "/api/v1/admin/development/cases",
        json={
            "person_id": person.json()["id"],
            "branch_id": world.ids["b1"],
            "applied_at": applied.isoformat(),
        },
        headers=world.auth("v1_admin"),
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    async with console("v1_admin") as browser:
        listing = await browser.get("/console/development")
        assert "申请人甲" in listing.text and "已超期" in listing.text  # the talk is a month late
        page = await browser.get(f"/console/development/{case_id}")
        assert "党组织派人谈话" in page.text
        form = {
            "csrf_token": field(page.text, "csrf_token"),
            "once": field(page.text, "once"),
            "step": field(page.text, "step"),
        }
        early = await browser.post(
            f"/console/development/{case_id}/steps",
            data={**form, "done_at": (applied - timedelta(days=1)).isoformat()},
        )
        assert "不能早于" in (await browser.get(early.headers["location"])).text
        done = await browser.post(
            f"/console/development/{case_id}/steps",
            data={**form, "done_at": applied.isoformat(), "note": "支部书记谈话"},
        )
        moved = await browser.get(done.headers["location"])
        assert "已记录“党组织派人谈话”" in moved.text and "推荐和确定入党积极分子" in moved.text
    read = await client.get(
        f"/api/v1/admin/development/cases/{case_id}", headers=world.auth("v1_admin")
    )
    assert [s["step"] for s in read.json()["steps"]] == ["application", "talk"]
    async with console("v2_admin") as browser:
        assert (await browser.get(f"/console/development/{case_id}")).status_code == 404

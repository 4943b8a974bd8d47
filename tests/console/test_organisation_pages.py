"""组织 in the console: the contest's live ranking read and the contest closed from its page as
the API closes it; a village decision moved a stage from its page; another village or a
village admin finds neither."""

import httpx
import pytest
from fastapi import FastAPI

from app.china_time import to_china, utcnow
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World

CRITERIA = [
    {
        "code": "meetings",
        "title": "三会一课",
        "weight": 100,
        "source": "computed",
        "metric": "meeting_compliance",
    }
]


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_the_contest_is_read_and_closed_from_its_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    made = await client.post(
        "/api/v1/admin/contests",
        json={"year": to_china(utcnow()).year, "title": "最强党支部", "criteria": CRITERIA},
        headers=world.auth("town_a_admin"),
    )
    assert made.status_code == 201, made.text
    contest_id = made.json()["id"]
    async with console("v1_admin") as browser:
        listing = await browser.get("/console/organisation")
        assert f"/console/contests/{contest_id}" not in listing.text  # the town runs it
        assert (await browser.get(f"/console/contests/{contest_id}")).status_code == 404
    async with console("town_a_admin") as browser:
        listing = await browser.get("/console/organisation")
        assert f"/console/contests/{contest_id}" in listing.text
        page = await browser.get(f"/console/contests/{contest_id}")
        assert "一村党支部" in page.text and "二村党支部" in page.text and "结束评比" in page.text
        closed = await browser.post(
            f"/console/contests/{contest_id}/close",
            data={"csrf_token": field(page.text, "csrf_token"), "once": field(page.text, "once")},
        )
        after = await browser.get(closed.headers["location"])
        assert "评比已结束" in after.text and "结束评比</button>" not in after.text
    ranking = await client.get(
        f"/api/v1/admin/contests/{contest_id}/ranking", headers=world.auth("town_a_admin")
    )
    assert ranking.json()["closed"] is True


async def test_a_village_decision_moves_a_stage_from_its_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    made = await client.post(
        "/api/v1/admin/proposals",
        json={
            "title": "村东道路硬化",
            "content": "硬化 800 米土路",
            "held_at": "2026-11-20T19:00:00+08:00",
            "present": 5,
        },
        headers=world.auth("v1_admin"),
    )
    assert made.status_code == 201, made.text
    proposal_id = made.json()["id"]
    async with console("v1_admin") as browser:
        page = await browser.get(f"/console/proposals/{proposal_id}")
        assert "村东道路硬化" in page.text
        form = {
            "csrf_token": field(page.text, "csrf_token"),
            "once": field(page.text, "once"),
            "stage": "deliberated",
            "held_at": "2026-11-25T19:00",
            "expected": "7",
            "present": "7",
            "in_favour": "6",
            "against": "1",
        }
        bad = await browser.post(
            f"/console/proposals/{proposal_id}/steps", data={**form, "held_at": "", "once": "p0"}
        )
        assert "请填写开会的日期和时间" in (await browser.get(bad.headers["location"])).text
        done = await browser.post(f"/console/proposals/{proposal_id}/steps", data=form)
        shown = await browser.get(done.headers["location"])
        assert "会议已记录" in shown.text and "赞成 6" in shown.text
    read = await client.get(f"/api/v1/proposals/{proposal_id}", headers=world.auth("v1_admin"))
    assert [s["stage"] for s in read.json()["steps"]][-1] == "deliberated"
    async with console("v2_admin") as browser:
        assert (await browser.get(f"/console/proposals/{proposal_id}")).status_code == 404
        assert "村东道路硬化" not in (await browser.get("/console/organisation")).text


async def test_a_decision_a_rota_an_honour_and_goods_are_made_from_the_pages(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    today = to_china(utcnow()).date()
    async with console("v1_admin") as browser:
        page = await browser.get("/console/organisation")
        token = field(page.text, "csrf_token")
        proposal = await browser.post(
            "/console/proposals",
            data={
                "csrf_token": token,
                "once": "o1",
                "title": "修建文化广场",
                "content": "在村委会东侧修建文化广场",
                "held_at": f"{today.isoformat()}T19:00",
                "present": "5",
            },
        )
        assert "议题已记下" in (await browser.get(proposal.headers["location"])).text
        rota = await browser.post(
            "/console/duty-shifts",
            data={
                "csrf_token": token,
                "once": "o2",
                "person_id": str(world.ids["v1_admin"]),
                "date": today.isoformat(),
                "starts": "09:00",
                "ends": "17:00",
                "repeat_days": "2",
            },
        )
        assert "已排班" in (await browser.get(rota.headers["location"])).text
        overlap = await browser.post(
            "/console/duty-shifts",
            data={
                "csrf_token": token,
                "once": "o3",
                "person_id": str(world.ids["v1_admin"]),
                "date": today.isoformat(),
                "starts": "10:00",
                "ends": "12:00",
            },
        )
        assert "已有重叠的值班" in (await browser.get(overlap.headers["location"])).text
        honour = await browser.post(
            "/console/honours",
            data={
                "csrf_token": token,
                "once": "o4",
                "year": str(today.year),
                "title": "文明家庭",
                "kind": "household",
                "whom": str(world.ids["h1"]),
                "citation": "孝老爱亲，邻里和睦。",
            },
        )
        assert "已表彰" in (await browser.get(honour.headers["location"])).text
        goods = await browser.post(
            "/console/counter/goods",
            data={
                "csrf_token": token,
                "once": "o5",
                "village_id": str(world.ids["v1"]),
                "name": "食用油",
                "points": "80",
                "stock": "12",
            },
        )
        shelf = await browser.get(goods.headers["location"])
        assert "“食用油”已上架" in shelf.text and "食用油" in shelf.text
    listed = await client.get("/api/v1/admin/proposals", headers=world.auth("v1_admin"))
    assert [p["title"] for p in listed.json()["items"]] == ["修建文化广场"]
    shifts = await client.get("/api/v1/admin/duty-shifts", headers=world.auth("v1_admin"))
    assert len(shifts.json()["items"]) == 2
    roll = await client.get("/api/v1/honours", headers=world.auth("v1_admin"))
    assert [h["title"] for h in roll.json()["items"]] == ["文明家庭"]


async def test_the_town_sets_a_contest_and_its_judges_from_the_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    async with console("town_a_admin") as browser:
        page = await browser.get("/console/organisation")
        token = field(page.text, "csrf_token")
        form = {
            "csrf_token": token,
            "year": str(to_china(utcnow()).year),
            "title": "最强党支部",
            "prize_yuan": "10000",
            "weight_meeting_compliance": "40",
            "judged_title_1": "现场评审",
            "judged_weight_1": "60",
        }
        wrong = await browser.post(
            "/console/contests", data={**form, "judged_weight_1": "50", "once": "c0"}
        )
        assert "error=" in wrong.headers["location"]
        made = await browser.post("/console/contests", data={**form, "once": "c1"})
        assert made.headers["location"].startswith("/console/contests/")
        contest_path = made.headers["location"].split("?")[0]
        shown = await browser.get(made.headers["location"])
        assert "评比已设立" in shown.text and "现场评审" in shown.text
        judged = await browser.post(
            f"{contest_path}/judges",
            data={
                "csrf_token": token,
                "once": "c2",
                "person_ids": f"{world.ids['v1_admin']}，{world.ids['v2_admin']}",
            },
        )
        after = await browser.get(judged.headers["location"])
        assert "已确定 2 位评委" in after.text and "v1_admin、v2_admin" in after.text
    async with console("v1_admin") as browser:
        page = await browser.get("/console/organisation")
        assert "设立年度评比" not in page.text


async def test_the_town_chooses_a_village_to_see_its_rota(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    today = to_china(utcnow()).date()
    made = await client.post(
        "/api/v1/admin/duty-shifts",
        json={
            "person_id": world.ids["v1_admin"],
            "date": today.isoformat(),
            "starts_at": "09:00",
            "ends_at": "17:00",
        },
        headers=world.auth("v1_admin"),
    )
    assert made.status_code == 201, made.text
    async with console("town_a_admin") as browser:
        whole = await browser.get("/console/organisation")
        assert "请先在上面选村" in whole.text and "请填写 village_id" not in whole.text
        one = await browser.get(f"/console/organisation?village_id={world.ids['v1']}")
        assert "v1_admin" in one.text and "请先在上面选村" not in one.text
        other_town = await browser.get(f"/console/organisation?village_id={world.ids['w1']}")
        assert other_town.status_code == 404

"""监督预警 in the console: a supervisor signs in and lands on their village's flags with the
rows behind each (the entry, who gave it, the household), dismisses one with a reason and turns
another into an objection; a supervisor of another village sees none of them, and a village's
admin is told the page is not theirs."""

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World
from tests.helpers.flags import cast as cast
from tests.helpers.points import award, make_rule


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, cast: World) -> ConsoleAs:
    return console_for(app, client, cast)


async def test_a_supervisor_checks_dismisses_and_escalates(
    client: httpx.AsyncClient, cast: World, console: ConsoleAs
) -> None:
    world = cast
    await make_rule(client, world)
    first = (await award(client, world, who="cadre_h1", household="h1")).json()
    await award(client, world, who="cadre_h1", household="h1", note="第二次")
    async with console("v1_supervisor") as browser:
        landing = await browser.get("/console/", follow_redirects=True)
        assert landing.url.path == "/console/flags"
        shown = landing.text
        assert shown.count('class="card flag"') == 2
        assert f"积分记录 {first['id']}" in shown and "记分人 cadre_h1" in shown
        assert "农户：户主王一" in shown
        assert "积分超市" not in shown  # the nav offers only what the role may open
        ids = re.findall(r'id="flag-(\d+)"', shown)
        dismissed = await browser.post(
            f"/console/flags/{ids[0]}/dismiss",
            data={
                "csrf_token": field(shown, "csrf_token"),
                "once": field(shown, "once"),
                "reason": "",
            },
            follow_redirects=True,
        )
        assert "排除的理由" in dismissed.text and 'class="card flag"' in dismissed.text
        page = await browser.get("/console/flags")
        dismissed = await browser.post(
            f"/console/flags/{ids[0]}/dismiss",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": field(page.text, "once"),
                "reason": "核实过，是全村统一发放",
            },
            follow_redirects=True,
        )
        assert "已排除" in dismissed.text
        assert dismissed.text.count('class="card flag"') == 1
        page = await browser.get("/console/flags")
        escalated = await browser.post(
            f"/console/flags/{ids[1]}/escalate",
            data={"csrf_token": field(page.text, "csrf_token"), "once": field(page.text, "once")},
            follow_redirects=True,
        )
        assert "已转为监督意见" in escalated.text
        assert "没有待处理的预警" in escalated.text
        done = await browser.get("/console/flags", params={"status": "dismissed"})
        assert "核实过，是全村统一发放" in done.text
    waiting = await client.get("/api/v1/admin/objections", headers=world.auth("v1_admin"))
    assert len(waiting.json()["items"]) == 1
    async with console("v2_supervisor") as browser:
        page = await browser.get("/console/flags", params={"status": "dismissed"})
        assert page.status_code == 200 and 'class="card flag"' not in page.text
        refused = await browser.post(
            f"/console/flags/{ids[1]}/dismiss",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": "x" * 16,
                "reason": "看看别村的",
            },
            follow_redirects=True,
        )
        assert "找不到该预警" in refused.text
    async with console("v1_admin") as browser:
        mine = await browser.get("/console/flags")
        assert mine.status_code == 403 and "不属于您的职责范围" in mine.text


async def test_the_town_reads_each_flags_village_and_picks_one(
    client: httpx.AsyncClient, cast: World, console: ConsoleAs
) -> None:
    world = cast
    await make_rule(client, world)
    await award(client, world, who="cadre_h1", household="h1")
    villages = (
        await client.get("/api/v1/admin/villages", headers=world.auth("town_a_admin"))
    ).json()["items"]
    names = {v["id"]: v["name"] for v in villages}
    mine, other = world.ids["v1"], next(i for i in names if i != world.ids["v1"])
    async with console("town_a_admin") as browser:
        page = await browser.get("/console/flags")
        assert page.status_code == 200
        assert f"{names[mine]} · " in page.text and 'name="village_id"' in page.text
        elsewhere = await browser.get("/console/flags", params={"village_id": other})
        assert 'class="card flag"' not in elsewhere.text
    async with console("v1_supervisor") as browser:  # one village: no picker, no name to read
        page = await browser.get("/console/flags")
        assert 'class="card flag"' in page.text and 'name="village_id"' not in page.text

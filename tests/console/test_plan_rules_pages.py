"""The plan's own rules in the console: a branch honoured as a collective from the organisation
page, and the year's allocation to the points shop recorded on its report, where what is left
of it shows beside what the restocking spent."""

import httpx
import pytest
from fastapi import FastAPI

from app.china_time import to_china, utcnow
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_a_collective_honour_and_the_shops_fund_from_the_console(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    today = to_china(utcnow())
    async with console("v1_admin") as browser:
        shown = await browser.get("/console/organisation")
        assert '<option value="branch">党支部</option>' in shown.text
        honour = await browser.post(
            "/console/honours",
            data={
                "csrf_token": field(shown.text, "csrf_token"),
                "once": field(shown.text, "once"),
                "year": str(today.year),
                "title": "先进党支部",
                "kind": "branch",
                "whom": str(world.ids["b1"]),
                "citation": "三会一课落实到位。",
            },
        )
        assert "已表彰" in (await browser.get(honour.headers["location"])).text
        report = await browser.get(
            f"/console/counter/report?village_id={world.ids['v1']}&period={today:%Y-%m}"
        )
        assert "今年经费结余" in report.text
        given = await browser.post(
            "/console/counter/funds",
            data={
                "csrf_token": field(report.text, "csrf_token"),
                "once": field(report.text, "once"),
                "village_id": str(world.ids["v1"]),
                "period": f"{today:%Y-%m}",
                "year": str(today.year),
                "amount_yuan": "20000",
                "source": "村集体经济收益",
            },
        )
        page = await browser.get(given.headers["location"])
        assert "已登记拨付的经费" in page.text and "20000.00" in page.text
    roll = await client.get(
        "/api/v1/honours", params={"village_id": world.ids["v1"]}, headers=world.auth("v1_admin")
    )
    assert [h["honoured_name"] for h in roll.json()["items"]] == ["一村党支部"]


async def test_villager_groups_and_the_towns_liaison_from_the_organisation_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    async with console("v1_admin") as browser:
        shown = await browser.get("/console/organisation")
        made = await browser.post(
            "/console/villager-groups",
            data={
                "csrf_token": field(shown.text, "csrf_token"),
                "once": field(shown.text, "once"),
                "village_id": "",
                "name": "第三村民小组",
            },
        )
        page = await browser.get(made.headers["location"])
        assert "村民小组“第三村民小组”已建好" in page.text and "第三村民小组（" in page.text
        assert "指定包村的镇干部" not in page.text  # the town assigns its cadres
    async with console("town_a_admin") as browser:
        shown = await browser.get(f"/console/organisation?village_id={world.ids['v1']}")
        linked = await browser.post(
            "/console/liaisons",
            data={
                "csrf_token": field(shown.text, "csrf_token"),
                "once": field(shown.text, "once"),
                "village_id": str(world.ids["v1"]),
                "person_id": str(world.ids["town_a_admin"]),
            },
        )
        assert "已指定包村干部" in (await browser.get(linked.headers["location"])).text
    groups = await client.get(
        "/api/v1/admin/villager-groups",
        params={"village_id": world.ids["v1"]},
        headers=world.auth("v1_admin"),
    )
    assert [g["name"] for g in groups.json()["items"]] == ["第三村民小组"]

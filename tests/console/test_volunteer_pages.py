"""志愿服务 in the console: an activity published from the page, its rotating code on the
office screen that a volunteer's phone really scans, the records confirmed together as the
API confirms them, and the certificate printed for a volunteer; another village finds none."""

import io
from datetime import timedelta

import httpx
import pytest
import zxingcpp
from fastapi import FastAPI
from PIL import Image

from app.china_time import to_china, utcnow
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World
from tests.helpers.volunteer import activity


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_an_activity_published_scanned_confirmed_and_certified(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    today = to_china(utcnow()).date().isoformat()
    async with console("v1_admin") as browser:
        page = await browser.get("/console/volunteer")
        made = await browser.post(
            "/console/volunteer",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": field(page.text, "once"),
                "title": "清理河道垃圾",
                "category": "环境整治",
                "day": today,
                "starts": "00:00",
                "ends": "23:59",
            },
        )
        assert made.status_code == 303 and "/console/volunteer/" in made.headers["location"]
        activity_id = int(made.headers["location"].split("?")[0].rsplit("/", 1)[1])
        screen = await browser.get(f"/console/volunteer/{activity_id}/code?kind=sign_in")
        assert 'hx-trigger="every' in screen.text and "code.png?kind=sign_in" in screen.text
        image = await browser.get(f"/console/volunteer/{activity_id}/code.png?kind=sign_in")
        assert image.headers["content-type"] == "image/png"
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))
        scanned = await client.post(
            f"/api/v1/activities/{activity_id}/scans",
            json={"token": code.text},
            headers=world.auth("v1_villager"),
        )
        assert scanned.status_code == 201, scanned.text
        record_id = scanned.json()["id"]
        page = await browser.get(f"/console/volunteer/{activity_id}")
        assert "v1_villager" in page.text
        no_reason = await browser.post(
            f"/console/volunteer/{activity_id}/records",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": "r1",
                "decision": "reject",
                "ids": [str(record_id)],
            },
        )
        assert "驳回须写明理由" in (await browser.get(no_reason.headers["location"])).text
        certificate = await browser.get(
            f"/console/volunteer/certificate/{world.ids['v1_villager']}.png"
        )
        assert certificate.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(certificate.content)).size[0] > 500
    async with console("v2_admin") as browser:
        assert (await browser.get(f"/console/volunteer/{activity_id}")).status_code == 404
        assert (await browser.get(f"/console/volunteer/{activity_id}/code.png")).status_code == 404
        other = await browser.get(f"/console/volunteer/certificate/{world.ids['v1_villager']}.png")
        assert other.status_code == 404


async def test_records_are_confirmed_together_as_the_api_confirms_them(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    done = await activity(client, world, starts=timedelta(hours=-3))
    entered = await client.post(
        f"/api/v1/admin/activities/{done['id']}/records",
        json={
            "person_id": world.ids["v1_villager"],
            "sign_in_at": (utcnow() - timedelta(hours=3)).isoformat(),
            "sign_out_at": (utcnow() - timedelta(hours=1)).isoformat(),
            "note": "忘记签退，组织者补录",
        },
        headers=world.auth("v1_admin"),
    )
    assert entered.status_code == 201, entered.text
    async with console("v1_admin") as browser:
        page = await browser.get(f"/console/volunteer/{done['id']}")
        confirmed = await browser.post(
            f"/console/volunteer/{done['id']}/records",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": field(page.text, "once"),
                "decision": "confirm",
                "ids": [str(entered.json()["id"])],
            },
        )
        assert "已确认 1 条记录" in (await browser.get(confirmed.headers["location"])).text
    mine = await client.get("/api/v1/me/volunteer", headers=world.auth("v1_villager"))
    assert mine.json()["minutes"] == entered.json()["minutes"] > 0

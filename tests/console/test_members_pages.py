"""党员管理 in the console, as the secretaries use it: the member file kept on the person's page,
a transfer sent from one village and received in the other, a mobile member registered and
their thought report accepted, and re-education from plan to conclusion."""

import re

import httpx
import pytest
from fastapi import FastAPI

from app.china_time import to_china, utcnow
from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.events import auth, member
from tests.helpers.factories import Login, World


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


def _form(html: str, **values: str) -> dict[str, str]:
    return {"csrf_token": field(html, "csrf_token"), "once": field(html, "once"), **values}


async def test_the_member_file_is_kept_on_the_persons_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    async with console("v1_admin") as browser:
        shown = await browser.get(f"/console/people/{alice['person_id']}")
        assert "党员档案" in shown.text
        saved = await browser.post(
            f"/console/members/{alice['person_id']}/file",
            data=_form(
                shown.text, joined_at="2001-07-01", full_member_at="2002-07-01", post="村会计"
            ),
        )
        page = await browser.get(saved.headers["location"])
        assert "党员档案已保存" in page.text and "党龄" in page.text and "村会计" in page.text
        wrong = await browser.post(
            f"/console/members/{alice['person_id']}/file",
            data=_form(page.text, joined_at="2003-01-01"),
        )
        page = await browser.get(wrong.headers["location"])
        assert "日期须依次为申请入党、入党、转正" in page.text


async def test_a_transfer_sent_from_one_village_and_received_in_the_other(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    alice = await member(client, world, login, "党员甲")
    async with console("v1_admin") as browser:
        shown = await browser.get("/console/members")
        sent = await browser.post(
            "/console/transfers",
            data=_form(
                shown.text,
                person_id=str(alice["person_id"]),
                to_branch_id=str(world.ids["b2"]),
                reason="婚后随迁",
            ),
        )
        page = await browser.get(sent.headers["location"])
        assert "组织关系转接已发起" in page.text and "等待接收方" in page.text
        letter = re.search(r'href="(/console/transfers/\d+/letter)"', page.text)
        assert letter is not None
        pdf = await browser.get(letter.group(1))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    async with console("v2_admin") as browser:
        shown = await browser.get("/console/members")
        accept = re.search(r'action="(/console/transfers/\d+/accept)"', shown.text)
        assert accept is not None
        done = await browser.post(accept.group(1), data=_form(shown.text))
        page = await browser.get(done.headers["location"])
        assert "已接收，该党员已转入本支部" in page.text
    me = await client.get("/api/v1/me", headers=auth(alice))
    assert me.json()["branch"]["id"] == world.ids["b2"]
    async with console("town_b_admin") as browser:
        assert "党员甲" not in (await browser.get("/console/members")).text


async def test_a_mobile_member_and_re_education_through_the_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    away = await member(client, world, login, "外出务工甲")
    month = to_china(utcnow()).strftime("%Y-%m")
    async with console("v1_admin") as browser:
        shown = await browser.get("/console/members")
        registered = await browser.post(
            "/console/mobile-members",
            data=_form(
                shown.text,
                direction="out",
                person_id=str(away["person_id"]),
                place="天津市滨海新区",
                employer="某建筑公司",
                since="2026-03-01",
            ),
        )
        page = await browser.get(registered.headers["location"])
        assert "已登记流出党员" in page.text and "天津市滨海新区" in page.text
    report = await client.post(
        "/api/v1/me/thought-reports",
        json={"period": month, "content": "本月在工地参加了党员学习，学习了全会精神。"},
        headers=auth(away),
    )
    assert report.status_code == 201, report.text
    async with console("v1_admin") as browser:
        shown = await browser.get("/console/members")
        assert "本月在工地参加了党员学习" in shown.text
        accepted = await browser.post(
            f"/console/thought-reports/{report.json()['id']}/accept", data=_form(shown.text)
        )
        page = await browser.get(accepted.headers["location"])
        assert "思想汇报已接收" in page.text
        enrolled = await browser.post(
            "/console/reeducation",
            data=_form(
                page.text,
                person_id=str(away["person_id"]),
                year=str(to_china(utcnow()).year),
                plan="学习党章\n谈心谈话",
            ),
        )
        page = await browser.get(enrolled.headers["location"])
        assert "回炉教育计划已建立" in page.text
        for index in (0, 1):
            path = re.search(r'action="(/console/reeducation/\d+/items/\d+/done)"', page.text)
            assert path is not None
            done = await browser.post(path.group(1), data=_form(page.text, note=f"第{index}项"))
            page = await browser.get(done.headers["location"])
        close = re.search(r'action="(/console/reeducation/\d+/close)"', page.text)
        assert close is not None
        closed = await browser.post(close.group(1), data=_form(page.text, conclusion="合格"))
        page = await browser.get(closed.headers["location"])
        assert "回炉教育已结束" in page.text and "结论：合格" in page.text

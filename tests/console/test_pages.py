"""The console's pages do what the API does, as the same person: a decision made on a page is
the API's decision with its audit entry, a repeated post acts once, a person is found by the
last digits of a phone, a roster goes from a file with mistakes to applied, and a village admin
opening another village's pages finds nothing there."""

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World
from tests.helpers.points import award, make_rule
from tests.helpers.roster_files import roster_xlsx


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def _pending_entry(client: httpx.AsyncClient, world: World) -> int:
    await make_rule(client, world, code="help", title="邻里互助", requires_approval=True)
    r = await award(client, world, code="help", household="h1", note="帮邻居收玉米")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending"
    return int(r.json()["id"])


async def _entry(client: httpx.AsyncClient, world: World, entry_id: int) -> dict[str, object]:
    r = await client.get(
        "/api/v1/admin/audit?action=points.approve", headers=world.auth("v1_admin")
    )
    assert r.status_code == 200
    pending = await client.get("/api/v1/admin/points/pending", headers=world.auth("v1_admin"))
    return {"pending": [e["id"] for e in pending.json()["items"]], "audit": r.json()["items"]}


async def test_approving_from_the_queue_is_the_apis_approval_and_a_second_click_does_nothing(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    entry_id = await _pending_entry(client, world)
    async with console("v1_admin") as browser:
        workbench = await browser.get("/console/")
        assert re.search(r'<span class="n">1</span>待审核积分', workbench.text)
        queue = await browser.get("/console/queues/points")
        assert "帮邻居收玉米" in queue.text
        form = {
            "csrf_token": field(queue.text, "csrf_token"),
            "once": field(queue.text, "once"),
            "decision": "approve",
        }
        first = await browser.post(
            f"/console/queues/points/{entry_id}", data=form, headers={"HX-Request": "true"}
        )
        assert first.status_code == 200 and "已通过" in first.text
        again = await browser.post(
            f"/console/queues/points/{entry_id}", data=form, headers={"HX-Request": "true"}
        )
        assert "已经提交过" in again.text
        after = await browser.get("/console/queues/points")
        assert "没有待处理的事项" in after.text
    pending = await client.get("/api/v1/admin/points/pending", headers=world.auth("v1_admin"))
    assert pending.json()["items"] == []
    log = await client.get("/api/v1/admin/audit", headers=world.auth("v1_admin"))
    decided = [e for e in log.json()["items"] if e["target_id"] == str(entry_id)]
    assert len([e for e in decided if e["after"] and e["after"].get("status") == "posted"]) == 1


async def test_a_rejection_needs_a_reason_and_the_services_refusal_is_shown_in_the_row(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    entry_id = await _pending_entry(client, world)
    async with console("v1_admin") as browser:
        queue = await browser.get("/console/queues/points")
        token = field(queue.text, "csrf_token")
        no_reason = await browser.post(
            f"/console/queues/points/{entry_id}",
            data={"csrf_token": token, "once": "x1", "decision": "reject"},
            headers={"HX-Request": "true"},
        )
        assert "须写明理由" in no_reason.text
        gone = await browser.post(
            "/console/queues/points/999999",
            data={"csrf_token": token, "once": "x2", "decision": "approve"},
            headers={"HX-Request": "true"},
        )
        assert gone.status_code == 200 and 'class="bad"' in gone.text
        # Without script the form posts, redirects, and the page says what happened.
        plain = await browser.post(
            f"/console/queues/points/{entry_id}",
            data={"csrf_token": token, "once": "x3", "decision": "reject", "note": "照片不清楚"},
        )
        assert plain.status_code == 303
        shown = await browser.get(plain.headers["location"])
        assert "已驳回" in shown.text
    pending = await client.get("/api/v1/admin/points/pending", headers=world.auth("v1_admin"))
    assert pending.json()["items"] == []


async def test_several_points_are_approved_together_or_not_at_all(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    first = await _pending_entry(client, world)
    second = int((await award(client, world, code="help", household="h1")).json()["id"])
    async with console("v1_admin") as browser:
        queue = await browser.get("/console/queues/points")
        token = field(queue.text, "csrf_token")
        refused = await browser.post(
            "/console/queues/points/together",
            data={"csrf_token": token, "once": "b1", "decision": "approve", "ids": [first, 999999]},
        )
        assert "error=" in refused.headers["location"]
        both = await browser.post(
            "/console/queues/points/together",
            data={"csrf_token": token, "once": "b2", "decision": "approve", "ids": [first, second]},
        )
        assert "done=" in both.headers["location"]
    pending = await client.get("/api/v1/admin/points/pending", headers=world.auth("v1_admin"))
    assert pending.json()["items"] == []


async def test_another_villages_pages_are_not_there(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    entry_id = await _pending_entry(client, world)
    v1_person = world.ids["v1_villager"]
    async with console("v1_admin") as browser:
        page = await browser.get("/console/notices")
        sent = await browser.post(
            "/console/notices",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": field(page.text, "once"),
                "title": "一村停水",
                "body": "明天停水。",
            },
        )
        notice_path = sent.headers["location"].split("?")[0]
        assert (await browser.get(f"/console/people/{v1_person}")).status_code == 200
    async with console("v2_admin") as browser:
        for path in (f"/console/people/{v1_person}", notice_path):
            r = await browser.get(path)
            assert r.status_code == 404, path
            assert "未找到" in r.text and "v1_villager" not in r.text and "一村停水" not in r.text
        queue = await browser.get("/console/queues/points")
        assert "邻里互助" not in queue.text and "没有待处理的事项" in queue.text
        people = await browser.get("/console/people?q=v1")
        assert "v1_villager" not in people.text and "v1_admin" not in people.text
        token = field(queue.text, "csrf_token")
        decided = await browser.post(
            f"/console/queues/points/{entry_id}",
            data={"csrf_token": token, "once": "z1", "decision": "approve"},
            headers={"HX-Request": "true"},
        )
        assert 'class="bad"' in decided.text
        audit = await browser.get("/console/audit")
        assert "一村停水" not in audit.text
    pending = await client.get("/api/v1/admin/points/pending", headers=world.auth("v1_admin"))
    assert [e["id"] for e in pending.json()["items"]] == [entry_id]


async def test_a_person_is_found_by_the_last_four_digits_of_their_phone(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    person = await client.get(
        f"/api/v1/admin/people/{world.ids['v1_villager']}", headers=world.auth("v1_admin")
    )
    phone = person.json()["phone"]
    async with console("v1_admin") as browser:
        found = await browser.get(f"/console/people?q={phone[-4:]}", headers={"HX-Request": "true"})
        assert "v1_villager" in found.text and "<html" not in found.text  # just the rows
        page = await browser.get(f"/console/people/{world.ids['v1_villager']}")
        assert "王一户" in page.text
        saved = await browser.post(
            f"/console/people/{world.ids['v1_villager']}",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": field(page.text, "once"),
                "name": "王一民",
                "phone": phone,
            },
        )
        shown = await browser.get(saved.headers["location"])
        assert "已保存" in shown.text and "王一民" in shown.text
        assert "person.update" in shown.text  # the audit trail on the person's page
    again = await client.get(
        f"/api/v1/admin/people/{world.ids['v1_villager']}", headers=world.auth("v1_admin")
    )
    assert again.json()["name"] == "王一民"


def _rows(phone_of_second: object) -> list[list[object]]:
    return [
        ["张三", 13600000001, "", "一网格", "H001", "张三", "户主", "", "否", "否", "男", ""],
        ["李四", phone_of_second, "", "一网格", "H001", "张三", "家人", "", "否", "否", "女", ""],
    ]


async def test_a_roster_goes_from_a_file_with_mistakes_to_applied(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    async with console("v1_admin") as browser:
        form = await browser.get("/console/roster-import")
        token = field(form.text, "csrf_token")
        bad = await browser.post(
            "/console/roster-import",
            data={"csrf_token": token, "once": field(form.text, "once")},
            files={"file": ("花名册.xlsx", roster_xlsx(_rows("1360000")))},
        )
        report = await browser.get(bad.headers["location"])
        assert "失败" in report.text or "问题" in report.text
        assert "手机号" in report.text and "确认导入" not in report.text
        form = await browser.get("/console/roster-import")
        good = await browser.post(
            "/console/roster-import",
            data={"csrf_token": token, "once": field(form.text, "once")},
            files={"file": ("花名册.xlsx", roster_xlsx(_rows(13600000002)))},
        )
        report = await browser.get(good.headers["location"])
        assert "新建 2 人、1 户" in report.text and "确认导入" in report.text
        applied = await browser.post(
            good.headers["location"] + "/apply",
            data={"csrf_token": token, "once": field(report.text, "once")},
        )
        final = await browser.get(applied.headers["location"])
        assert "已导入" in final.text or "applied" in final.text
    found = await client.get("/api/v1/admin/people?q=李四", headers=world.auth("v1_admin"))
    assert [p["name"] for p in found.json()["items"]] == ["李四"]

"""网格 and 积分规则 in the console: a reported task on the board with its photo, accepted from
its page as the API accepts it, a task dispatched to a grid worker; a town rule beside the
village's own version of it, changed with its history in the audit log."""

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World
from tests.helpers.grid import report, upload
from tests.helpers.points import make_rule


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_a_reported_task_is_on_the_board_and_accepted_from_its_page(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    made = await report(client, world)
    assert made.status_code == 201, made.text
    task_id = made.json()["id"]
    async with console("v1_admin") as browser:
        board = await browser.get("/console/grid")
        assert "路边垃圾堆放" in board.text and made.json()["media"][0]["thumb_url"] in board.text
        page = await browser.get(f"/console/grid/tasks/{task_id}")
        assert "上报时" in page.text and 'value="accept"' in page.text
        assert 'value="resolve"' not in page.text  # the worker resolves with a photo on site
        accepted = await browser.post(
            f"/console/grid/tasks/{task_id}",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": field(page.text, "once"),
                "action": "accept",
                "note": "明天处理",
            },
        )
        assert "已办理" in (await browser.get(accepted.headers["location"])).text
        again = await browser.post(
            f"/console/grid/tasks/{task_id}",
            data={"csrf_token": field(page.text, "csrf_token"), "once": "g2", "action": "accept"},
        )
        assert "不能受理" in (await browser.get(again.headers["location"])).text
        dispatched = await browser.post(
            "/console/grid/tasks",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": "g3",
                "category": "sanitation",
                "grid_id": str(world.ids["g1"]),
                "assignee_person_id": str(world.ids["g1_worker"]),
                "title": "清理村口水沟",
            },
        )
        assert "已派单" in (await browser.get(dispatched.headers["location"])).text
    read = await client.get(f"/api/v1/grid/tasks/{task_id}", headers=world.auth("v1_admin"))
    assert read.json()["status"] == "accepted"
    mine = await client.get("/api/v1/grid/tasks", headers=world.auth("g1_worker"))
    assert "清理村口水沟" in [t["title"] for t in mine.json()["items"]]
    async with console("v2_admin") as browser:
        assert (await browser.get(f"/console/grid/tasks/{task_id}")).status_code == 404
        assert "路边垃圾堆放" not in (await browser.get("/console/grid")).text


async def test_a_village_weighs_a_town_rule_its_own_way_and_changes_are_logged(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    town_rule = await make_rule(client, world, code="clean", title="环境清扫", points=5)
    async with console("v1_admin") as browser:
        page = await browser.get("/console/rules")
        assert "环境清扫" in page.text and "本村另定" in page.text
        own = await browser.post(
            "/console/rules",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": "r1",
                "village_id": str(world.ids["v1"]),
                "town_rule_id": str(town_rule["id"]),
                "points": "8",
            },
        )
        shown = await browser.get(own.headers["location"])
        assert "已为本村另定分值" in shown.text and "<b>8</b>" in shown.text
        village_rule = next(
            r
            for r in (
                await client.get("/api/v1/admin/scoring-rules", headers=world.auth("v1_admin"))
            ).json()["items"]
            if r["village_id"] == world.ids["v1"]
        )
        changed = await browser.post(
            f"/console/rules/{village_rule['id']}",
            data={
                "csrf_token": field(page.text, "csrf_token"),
                "once": "r2",
                "village_id": str(world.ids["v1"]),
                "points": "6",
                "enabled": "on",
            },
        )
        assert "规则已修改" in (await browser.get(changed.headers["location"])).text
        town_change = await browser.post(
            f"/console/rules/{town_rule['id']}",
            data={"csrf_token": field(page.text, "csrf_token"), "once": "r3", "points": "1"},
        )
        assert "error=" in town_change.headers["location"]  # the town's rule is the town's
    log = await client.get(
        "/api/v1/admin/audit?action=scoring_rule.update", headers=world.auth("v1_admin")
    )
    [entry] = log.json()["items"]
    assert (entry["before"]["points"], entry["after"]["points"]) == (8, 6)


async def test_an_on_site_score_is_listed_with_its_evidence_in_scope(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    await make_rule(client, world, code="clean", title="环境清扫", points=5)
    photo_id = await upload(client, world.auth("g1_worker"))
    scored = await client.post(
        "/api/v1/grid/scores",
        json={"household_id": world.ids["h1"], "rule_code": "clean", "media_ids": [photo_id]},
        headers=world.auth("g1_worker"),
    )
    assert scored.status_code == 201, scored.text
    async with console("v1_admin") as browser:
        board = await browser.get("/console/grid")
        row = board.text.split("<h2>现场打分")[1].split("</table>")[0]
        assert "王一户" in row and "+5" in row and "g1_worker" in row and "<img" in row
    async with console("v2_admin") as browser:
        board = await browser.get("/console/grid")
        assert "王一户" not in board.text

"""党支部健康 in the console: the town's organiser sees every branch of last month, red first
with its reasons; a village's admin has no such page."""

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.console import ConsoleAs, console_for
from tests.helpers.factories import World


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_the_town_sees_which_branches_need_a_visit(
    client: httpx.AsyncClient, world: World, console: ConsoleAs
) -> None:
    async with console("town_a_admin") as browser:
        page = await browser.get("/console/health")
        assert page.status_code == 200
        assert "一村党支部" in page.text and "二村党支部" in page.text
        assert "三会一课未按时落实" in page.text  # nothing was held last month
        workbench = await browser.get("/console/")
        assert "上月需要走访的党支部" in workbench.text
    async with console("v1_admin") as browser:
        assert (await browser.get("/console/health")).status_code == 404

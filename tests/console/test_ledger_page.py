"""账本签名与核验 in the console: the town's admin signs the head now and sees it with the key's
fingerprint; a village admin sees their town's head and cannot sign."""

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.events import member
from tests.helpers.factories import Login, World
from tests.helpers.points import make_rule


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_the_town_signs_now_and_a_village_reads_the_head(
    client: httpx.AsyncClient, world: World, console: ConsoleAs, login: Login
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    await client.post(
        "/api/v1/admin/points/entries",
        json={"rule_code": "study", "account_owner": {"person_id": alice["person_id"]}},
        headers=world.auth("v1_admin"),
    )
    async with console("town_a_admin") as browser:
        shown = await browser.get("/console/ledger")
        assert "还没有签名的树根" in shown.text
        signed = await browser.post(
            "/console/ledger/sign",
            data={
                "csrf_token": field(shown.text, "csrf_token"),
                "once": field(shown.text, "once"),
                "town_id": str(world.ids["town_a"]),
            },
        )
        page = await browser.get(signed.headers["location"])
        assert "已签名" in page.text
    head = (
        await client.get("/api/v1/points/roots/latest", params={"town_id": world.ids["town_a"]})
    ).json()
    async with console("v1_admin") as browser:
        page = await browser.get("/console/ledger")
        assert head["root_hash"] in page.text and head["key_id"] in page.text
        assert "现在签名" not in page.text

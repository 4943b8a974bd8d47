"""Every id in a console URL or form is someone else's or nonsense, every file hostile: the
console answers a Chinese page (404, 413, 415, 422) or the service's refusal, never a 500."""

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.console import ConsoleAs, console_for, field
from tests.helpers.factories import World
from tests.security.hostile import CORPUS

NONSENSE_IDS = ("0", "-1", "99999999999999999999", "abc", "1e3", "%00", "%2e%2e")
NONSENSE_TEXT = (
    "\x00\x01",
    '=HYPERLINK("http://evil.example","点我")',
    "'; DROP TABLE people; --",
    "%",
    "_",
    "9" * 40,
    "一" * 500,
)


@pytest.fixture
def console(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    return console_for(app, client, world)


async def test_nonsense_in_a_url_is_a_page_that_does_not_exist(console: ConsoleAs) -> None:
    async with console("v1_admin") as browser:
        for bad in NONSENSE_IDS:
            for path in (
                f"/console/people/{bad}",
                f"/console/notices/{bad}",
                f"/console/roster-import/{bad}",
                f"/console/queues/{bad}",
            ):
                r = await browser.get(path)
                assert r.status_code in (404, 422), (path, r.status_code)
                assert "<html" in r.text and "Traceback" not in r.text
        for text in NONSENSE_TEXT:
            for query in ("q", "cursor"):
                r = await browser.get("/console/people", params={query: text})
                assert r.status_code in (200, 422), (query, text[:20], r.status_code)
            r = await browser.get(
                "/console/audit",
                params={"person_id": text, "action": text, "since": text, "until": text},
            )
            assert r.status_code in (200, 422), (text[:20], r.status_code)
        far = await browser.get("/console/audit", params={"since": "9999-12-31"})
        assert far.status_code == 200


async def test_nonsense_in_a_form_is_refused_in_chinese(console: ConsoleAs) -> None:
    async with console("v1_admin") as browser:
        page = await browser.get("/console/queues/points")
        token = field(page.text, "csrf_token")
        for bad in NONSENSE_IDS:
            r = await browser.post(
                f"/console/queues/points/{bad}",
                data={"csrf_token": token, "decision": "approve"},
            )
            assert r.status_code in (303, 404, 422), (bad, r.status_code)
        for text in NONSENSE_TEXT:
            together = await browser.post(
                "/console/queues/points/together",
                data={"csrf_token": token, "decision": "approve", "ids": [text, "99999999999"]},
            )
            assert together.status_code == 303
            grant = await browser.post(
                "/console/people/1/grants",
                data={"csrf_token": token, "role_scope": text, "scope_id": text},
            )
            assert grant.status_code == 303
            notice = await browser.post(
                "/console/notices",
                data={"csrf_token": token, "title": text, "body": text, "audience": text},
            )
            assert notice.status_code == 303, notice.text[:300]


@pytest.mark.parametrize("name", sorted(n for n in CORPUS if n != "pixel_bomb"))
async def test_a_hostile_roster_file_is_refused_or_reported(console: ConsoleAs, name: str) -> None:
    file_name, data = CORPUS[name]
    async with console("v1_admin") as browser:
        form = await browser.get("/console/roster-import")
        r = await browser.post(
            "/console/roster-import",
            data={"csrf_token": field(form.text, "csrf_token"), "once": name},
            files={"file": (file_name, data)},
        )
        assert r.status_code == 303, r.text[:300]
        shown = await browser.get(r.headers["location"])
        assert shown.status_code == 200
        # Refused with the service's sentence, or checked and every bad row listed: never applied.
        assert "error=" in r.headers["location"] or "问题" in shown.text or "未写入" in shown.text
        assert "已导入" not in shown.text

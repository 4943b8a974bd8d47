"""Signing in to the console as a person does, with a form, a cookie and the page's tokens."""

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI

from tests.helpers.factories import World

PASSWORD = "console-pass-1"


def field(html: str, name: str) -> str:
    """The value of the first hidden field of that name on the page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} on the page"
    return found.group(1)


async def give_login(client: httpx.AsyncClient, world: World, who: str) -> str:
    """A console login for a world person, set by the superadmin through the API."""
    username = who.replace("_", "-")
    r = await client.post(
        f"/api/v1/admin/people/{world.ids[who]}/password",
        json={"username": username, "password": PASSWORD},
        headers=world.auth("superadmin"),
    )
    assert r.status_code == 200, r.text
    return username


async def sign_in(
    browser: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    form = await browser.get("/console/login")
    return await browser.post(
        "/console/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": field(form.text, "csrf_token"),
            "next": "/console/",
        },
    )


ConsoleAs = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


def console_for(app: FastAPI, client: httpx.AsyncClient, world: World) -> ConsoleAs:
    """Opens a browser-like client (its own cookie jar) signed in as a world person."""

    @asynccontextmanager
    async def as_(who: str) -> AsyncIterator[httpx.AsyncClient]:
        username = await give_login(client, world, who)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
            r = await sign_in(browser, username)
            assert r.status_code == 303, r.text
            yield browser

    return as_

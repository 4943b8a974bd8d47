"""The demo town (`make run`'s data) inside the test process, and its callers' tokens."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.services.demo.town import DEMO_PASSWORD, seed_demo
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def demo_client(migrated_database: str) -> Iterator[TestClient]:
    app = create_app(
        make_settings(login_account_per_minute=100_000, login_ip_per_minute=100_000),
        run_jobs_in_process=False,
    )
    with TestClient(app) as client:
        yield client


def seed(client: TestClient) -> None:
    """The demo town, again for each test: the suite empties the database after every test."""
    app: Any = client.app

    async def write() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            await seed_demo(session, storage=app.state.storage)

    assert client.portal is not None
    client.portal.call(write)


def console_token(client: TestClient, username: str) -> str:
    token = client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def member_token(client: TestClient, admin_token: str) -> str:
    """A Party member of village 1 on the phone: WeChat login, then the phone bound."""
    people = client.get(
        "/api/v1/admin/people",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {admin_token}"},
    ).json()["items"]
    phone = next(p["phone"] for p in people if p["is_party_member"] and p["household_id"])
    token = client.post("/api/v1/auth/wechat-login", json={"code": "demo-member"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    version = client.get("/api/v1/privacy").json()["version"]
    client.post("/api/v1/me/privacy-consent", json={"version": version}, headers=headers)
    bound = client.post("/api/v1/auth/bind-phone", json={"code": phone}, headers=headers)
    assert bound.status_code == 200, bound.text
    return str(token["access_token"])

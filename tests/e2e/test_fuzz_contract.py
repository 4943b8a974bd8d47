"""Every operation in the OpenAPI contract, fed generated input by schemathesis: no 500s, and
every successful answer shaped as the contract says.

Runs as each kind of caller of the demo town: nobody, a Party member on the phone, a village
admin and the superadmin, so that the admin routes are reached, not only refused.
"""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.main import create_app
from app.services.demo.town import DEMO_PASSWORD, seed_demo
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def fuzz_client(migrated_database: str) -> Iterator[TestClient]:
    app = create_app(
        make_settings(login_account_per_minute=100_000, login_ip_per_minute=100_000),
        run_jobs_in_process=False,
    )
    with TestClient(app) as client:

        async def seed() -> None:
            async with app.state.sessionmaker() as session, session.begin():
                await seed_demo(session, storage=app.state.storage)

        assert client.portal is not None
        client.portal.call(seed)
        yield client


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_client: TestClient) -> Any:
    # From the dict, not from_asgi: that would start the app a second time on another loop.
    return schemathesis.openapi.from_dict(fuzz_client.app.openapi())


def _console_token(client: TestClient, username: str) -> str:
    token = client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def _member_token(client: TestClient, admin_token: str) -> str:
    people = client.get(
        "/api/v1/admin/people",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {admin_token}"},
    ).json()["items"]
    phone = next(p["phone"] for p in people if p["is_party_member"] and p["household_id"])
    token = client.post("/api/v1/auth/wechat-login", json={"code": "fuzz-member"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    bound = client.post("/api/v1/auth/bind-phone", json={"code": phone}, headers=headers)
    assert bound.status_code == 200, bound.text
    return str(token["access_token"])


@pytest.fixture(scope="module")
def tokens(fuzz_client: TestClient) -> dict[str, str | None]:
    village_admin = _console_token(fuzz_client, "village1_admin")
    return {
        "anonymous": None,
        "member": _member_token(fuzz_client, village_admin),
        "village_admin": village_admin,
        "superadmin": _console_token(fuzz_client, "admin"),
    }


# Logout and refresh would end the admin's session; the probes take no input and answer 503 by
# design when a dependency is slow (they are tested in tests/test_readiness_and_jobs.py).
SKIPPED = ("/api/v1/auth/logout", "/api/v1/auth/refresh", "/readyz", "/healthz")


# Error answers are checked for shape once the contract describes them (problem+json); until
# then their schema there is FastAPI's default and only successful answers are compared.
CHECKS = [not_a_server_error, response_schema_conformance]
# How many generated requests each caller makes per operation: the superadmin reaches the most.
EXAMPLES = {"anonymous": 4, "member": 8, "village_admin": 8, "superadmin": 12}


@pytest.mark.parametrize("role", list(EXAMPLES))
def test_no_operation_answers_500(
    fuzz_schema: Any, fuzz_client: TestClient, tokens: dict[str, str | None], role: str
) -> None:
    token = tokens[role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    tested = 0
    answered: Counter[int] = Counter()
    for result in fuzz_schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES[role],
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: Any) -> None:
            # Through the fixture's client: the app's engine lives on that client's event loop.
            kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
            response = fuzz_client.request(**kwargs)
            answered[response.status_code // 100] += 1
            assert response.status_code < 500, (role, case.method, case.path, response.text)
            if response.status_code < 400:
                case.validate_response(response, checks=CHECKS)

        conforms()
        tested += 1
    assert tested >= 60
    if role == "anonymous":
        # Nobody gets past login except to the public routes, and never into the console.
        assert answered[4] > answered[2], answered
    else:
        # The caller really got in: plenty of generated requests succeeded, not only refusals.
        assert answered[2] >= 30, answered
        assert answered[4] >= 30, answered

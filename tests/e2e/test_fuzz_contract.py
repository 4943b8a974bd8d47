"""Every operation in the OpenAPI contract, fed generated input by schemathesis: no 500s, and
every answer, errors included, with a documented status and shaped as the contract says.

Runs as each kind of caller of the demo town: nobody, a Party member on the phone, a village
admin and the superadmin, so that the admin routes are reached, not only refused.
"""

from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, reject, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.e2e.demo_town import console_token, member_token, seed


@pytest.fixture(scope="module")
def fuzz_schema(demo_client: TestClient) -> Any:
    # From the dict, not from_asgi: that would start the app a second time on another loop.
    return schemathesis.openapi.from_dict(demo_client.app.openapi())


def _token(client: TestClient, role: str) -> str | None:
    seed(client)
    village_admin = console_token(client, "village1_admin")
    return {
        "anonymous": lambda: None,
        "member": lambda: member_token(client, village_admin),
        "village_admin": lambda: village_admin,
        "superadmin": lambda: console_token(client, "admin"),
    }[role]()


# Logout and refresh would end the admin's session; the probes take no input and answer 503 by
# design when a dependency is slow (they are tested in tests/test_readiness_and_jobs.py).
SKIPPED = ("/api/v1/auth/logout", "/api/v1/auth/refresh", "/readyz", "/healthz")


# Every answer, errors included, must have a documented status and the documented shape.
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# How many generated requests each caller makes per operation: the superadmin reaches the most.
EXAMPLES = {"anonymous": 4, "member": 8, "village_admin": 8, "superadmin": 12}
# A member reaches only the phone's operations; the admins most of the console's.
SUCCEEDED_AT_LEAST = {"member": 40, "village_admin": 80, "superadmin": 100}


@pytest.mark.parametrize("role", list(EXAMPLES))
def test_no_operation_answers_500(fuzz_schema: Any, demo_client: TestClient, role: str) -> None:
    token = _token(demo_client, role)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    tested = 0
    answered: Counter[int] = Counter()
    refused_tokens: list[str] = []
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
            try:
                response = demo_client.request(**kwargs)
            except (TypeError, AttributeError):
                # A generated multipart field that httpx itself cannot encode (a number as
                # the file): no phone can send it, so it is not a case.
                reject()
            answered[response.status_code // 100] += 1
            if (
                response.status_code == 401
                and kwargs["headers"].get("Authorization") == (f"Bearer {token}")
                and not case.path.startswith("/api/v1/auth/")
            ):
                refused_tokens.append(response.json().get("code"))
            assert response.status_code < 500, (role, case.method, case.path, response.text)
            try:
                response.request.read()  # a multipart upload's body is a stream until read
            except (TypeError, AttributeError):
                reject()  # as above: only the 500 check applies to what httpx cannot encode
            case.validate_response(response, checks=CHECKS)

        conforms()
        tested += 1
    assert tested >= 60
    signed_out = len(refused_tokens)  # logins, which may refuse a wrong password, not counted
    if role == "anonymous":
        # Nobody gets past login except to the public routes, and never into the console.
        assert answered[4] > answered[2], answered
    else:
        # The caller really got in: plenty of generated requests succeeded, not only refusals,
        # and the token held for the whole run.
        assert answered[2] >= SUCCEEDED_AT_LEAST[role], answered
        assert answered[4] >= 30, answered
        assert signed_out == 0, f"401 to a valid token: {refused_tokens}"

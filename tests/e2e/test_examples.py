"""Swagger pre-fills every write with the contract's example: in the demo town, sent by the
caller it names, none may be refused as malformed (422) and none may fail (5xx)."""

import re

from fastapi.testclient import TestClient

from tests.e2e.demo_town import console_token, member_token, seed


def test_every_write_example_is_accepted_as_valid(demo_client: TestClient) -> None:
    seed(demo_client)
    village_admin = console_token(demo_client, "village1_admin")
    tokens = {
        "超级管理员": console_token(demo_client, "admin"),
        "镇管理员": console_token(demo_client, "town_admin"),
        "村管理员": village_admin,
        "网格员": village_admin,  # the demo's grid workers use the phone, not the console
        "积分超市管理员": console_token(demo_client, "village1_shop"),
    }
    tokens["群众"] = tokens["党员"] = member_token(demo_client, village_admin)
    sent = 0
    # Ids made by earlier examples, by collection ("activities"), so that later examples under
    # them ("activities/{activity_id}/records") act on what the examples themselves created.
    created: dict[str, int] = {}

    def url(path: str) -> str:
        def one(match: re.Match[str]) -> str:
            return f"{match.group(1)}/{created.get(match.group(1), 1)}"

        return re.sub(r"([a-z-]+)/\{[a-z_]+\}", one, path)

    paths = demo_client.app.openapi()["paths"]  # type: ignore[attr-defined]
    for path, item in paths.items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None or not media["schema"].get("$ref") or "logout" in path:
                continue
            example = media["examples"]["example"]
            role = example["summary"].removeprefix("示例（").removesuffix("）")
            answer = demo_client.request(
                method,
                url(path),
                json=example["value"],
                headers={"Authorization": f"Bearer {tokens[role]}"},
            )
            assert answer.status_code != 422, (method, path, answer.text)
            assert answer.status_code < 500, (method, path, answer.text)
            sent += 1
            if answer.status_code == 201 and "{" not in path:
                created[path.rsplit("/", 1)[-1]] = answer.json()["id"]
    assert sent >= 40

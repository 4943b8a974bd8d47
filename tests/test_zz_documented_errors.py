"""The contract names every status the app answers: each (operation, status) any test of the
suite saw must be among that operation's documented responses. Runs after the rest of the suite
(pytest collects this folder's own files last); run alone it still checks its own probes."""

import httpx
from fastapi import FastAPI

from tests.helpers.contract_seen import SEEN
from tests.helpers.factories import World


async def test_every_status_the_suite_saw_is_documented(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    # A few answers of every kind, so that the check never runs on nothing.
    admin = world.auth("v1_admin")
    await client.get("/api/v1/me")
    await client.get("/api/v1/admin/people/999999", headers=admin)
    await client.post("/api/v1/admin/grids", json={"name": ""}, headers=admin)
    await client.post("/api/v1/admin/grids", json=_grid(world), headers=admin)
    assert len({status for _, _, status in SEEN}) >= 4

    paths = app.openapi()["paths"]
    missing = sorted(
        (method, path, status)
        for method, path, status in SEEN
        if path in paths
        and method.lower() in paths[path]
        and str(status) not in paths[path][method.lower()]["responses"]
    )
    assert not missing, "answered but not in openapi.json:\n" + "\n".join(map(str, missing))


def _grid(world: World) -> dict[str, object]:
    return {"village_id": world.ids["v1"], "name": "文档检查网格"}

"""Keyset cursors: every row exactly once, even when rows arrive between pages."""

import httpx

from tests.helpers.factories import World


async def test_pages_are_stable_while_rows_arrive(client: httpx.AsyncClient, world: World) -> None:
    auth = world.auth("v1_admin")
    for i in range(7):
        r = await client.post(
            "/api/v1/admin/households",
            json={"village_id": world.ids["v1"], "head_name": f"户{i}"},
            headers=auth,
        )
        assert r.status_code == 201
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/admin/households", params=params, headers=auth)).json()
        seen += [h["id"] for h in page["items"]]
        pages += 1
        if pages == 1:
            # A household registered while the admin scrolls: it appears once, at the end.
            await client.post(
                "/api/v1/admin/households",
                json={"village_id": world.ids["v1"], "head_name": "后来的"},
                headers=auth,
            )
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 9  # 1 from the world, 7 made, 1 arrived mid-scroll
    assert seen == sorted(seen)
    assert pages == 3

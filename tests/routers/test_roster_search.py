"""Finding people and households by a fragment of what a secretary remembers, in scope only."""

import httpx

from tests.helpers.factories import World


async def _person(
    client: httpx.AsyncClient, world: World, village: str, name: str, phone: str, **more: object
) -> dict[str, object]:
    body = {"name": name, "phone": phone, "village_id": world.ids[village], **more}
    r = await client.post("/api/v1/admin/people", json=body, headers=world.auth("town_a_admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _names(client: httpx.AsyncClient, world: World, path: str, **params: object) -> set[str]:
    r = await client.get(path, params=params, headers=world.auth("v1_admin"))
    assert r.status_code == 200, r.text
    key = "name" if path.endswith("people") else "head_name"
    return {row[key] for row in r.json()["items"]}


async def test_people_by_name_or_phone_fragment_within_the_village(
    client: httpx.AsyncClient, world: World
) -> None:
    await _person(client, world, "v1", "王秀兰", "13912340001", is_party_member=True)
    await _person(client, world, "v1", "王建设", "13912340002")
    await _person(client, world, "v1", "李红梅", "13700005555")
    await _person(client, world, "v2", "王大山", "13912340003")  # another village
    people = "/api/v1/admin/people"
    assert await _names(client, world, people, q="王") == {"王秀兰", "王建设"}
    assert await _names(client, world, people, q="1234000") == {"王秀兰", "王建设"}
    # Digits typed full-width on a phone's Chinese keyboard.
    assert await _names(client, world, people, q="５５５５") == {"李红梅"}
    assert await _names(client, world, people, q="王", is_party_member=True) == {"王秀兰"}
    # LIKE's wildcards are only characters here: "_" finds the test world's "v1_admin" and
    # the like, not every name.
    assert await _names(client, world, people, q="%") == set()
    underscored = await _names(client, world, people, q="_")
    assert underscored and all("_" in name for name in underscored)


async def test_households_by_head_or_address(client: httpx.AsyncClient, world: World) -> None:
    for village, head, address in [
        ("v1", "赵铁柱", "东街 3 号"),
        ("v1", "钱多多", "西街 8 号"),
        ("v2", "孙东来", "东街 9 号"),
    ]:
        r = await client.post(
            "/api/v1/admin/households",
            json={"village_id": world.ids[village], "head_name": head, "address": address},
            headers=world.auth("town_a_admin"),
        )
        assert r.status_code == 201, r.text
    households = "/api/v1/admin/households"
    assert await _names(client, world, households, q="东街") == {"赵铁柱"}
    assert await _names(client, world, households, q="钱") == {"钱多多"}


async def test_a_search_too_long_is_refused_in_chinese(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.get(
        "/api/v1/admin/people", params={"q": "长" * 51}, headers=world.auth("v1_admin")
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "q"

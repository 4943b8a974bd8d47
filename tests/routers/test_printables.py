"""What a village office prints: the Party day's A4 poster and the door plates. Each page is read
back the way a phone's camera reads it (zxing), so the codes on paper are the codes that work."""

import io
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from tests.helpers.events import VENUE, make_event, poster_token
from tests.helpers.factories import World
from tests.helpers.papers import pdf_pages

A4_150_DPI = (1240, 1754)


def _codes(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png))
    assert image.size == A4_150_DPI
    return sorted(found.text for found in zxingcpp.read_barcodes(image))


async def test_the_poster_is_an_a4_page_with_the_fixed_code(
    client: httpx.AsyncClient, world: World
) -> None:
    venue = {**VENUE, "name": "村委会二楼会议室"}
    event = await make_event(client, world, venue=venue, title="十二月主题党日")
    assert event["venue_name"] == "村委会二楼会议室"
    url = f"/api/v1/events/{event['id']}/poster"
    poster = await client.get(url, headers=world.auth("b1_admin"))
    assert poster.status_code == 200, poster.text
    assert poster.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''" in poster.headers["content-disposition"]
    assert _codes(poster.content) == [poster_token(event)]
    pdf = await client.get(url, params={"format": "pdf"}, headers=world.auth("b1_admin"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert b"/MediaBox [ 0 0 595" in pdf.content  # 210 mm wide: A4 in points
    code = await client.get(url, params={"format": "code"}, headers=world.auth("b1_admin"))
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(code.content)))[0].text == poster_token(
        event
    )
    other = await client.get(url, headers=world.auth("v2_admin"))
    assert other.status_code == 404


async def _household(client: httpx.AsyncClient, world: World, name: str, number: str) -> Any:
    r = await client.post(
        "/api/v1/admin/households",
        json={"village_id": world.ids["v1"], "grid_id": world.ids["g1"], "head_name": name},
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_door_plates_print_eight_a_page_and_open_only_for_that_grid(
    client: httpx.AsyncClient, world: World
) -> None:
    for index in range(8):  # with 王一, nine households: two pages
        await _household(client, world, f"户主{index}", str(index))
    plates = "/api/v1/admin/door-plates"
    first = await client.get(plates, params={"format": "png"}, headers=world.auth("v1_admin"))
    assert first.status_code == 200, first.text
    codes = _codes(first.content)
    assert len(codes) == 8 and all(len(c) == 10 and c.isalnum() for c in codes)
    second = await client.get(
        plates, params={"format": "png", "page": 2}, headers=world.auth("v1_admin")
    )
    codes += _codes(second.content)
    assert len(set(codes)) == 9
    beyond = await client.get(
        plates, params={"format": "png", "page": 3}, headers=world.auth("v1_admin")
    )
    assert beyond.status_code == 422 and beyond.json()["code"] == "roster.no_such_page"
    pdf = await client.get(plates, headers=world.auth("v1_admin"))
    assert pdf.content[:5] == b"%PDF-" and pdf_pages(pdf.content) == 2
    assert (await client.get(plates, headers=world.auth("v2_villager"))).status_code == 403
    other_village = await client.get(
        plates, params={"village_id": world.ids["v1"]}, headers=world.auth("v2_admin")
    )
    assert other_village.status_code == 404

    found = {}
    for code in codes:
        r = await client.get(f"/api/v1/households/by-code/{code}", headers=world.auth("g1_worker"))
        assert r.status_code == 200, r.text
        found[r.json()["id"]] = r.json()
    assert world.ids["h1"] in found and len(found) == 9
    assert {h["head_name"] for h in found.values()} >= {"王一", "户主0", "户主7"}
    mine = codes[0]
    # The village admin is no grid worker; a villager is nobody's; and a worker of another grid
    # of the same village learns nothing: each gets what a code that does not exist gets.
    grid = await client.post(
        "/api/v1/admin/grids",
        json={"village_id": world.ids["v1"], "name": "二网格"},
        headers=world.auth("v1_admin"),
    )
    granted = await client.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": world.ids["v1_villager"],
            "role": "grid_worker",
            "scope_type": "grid",
            "scope_id": grid.json()["id"],
        },
        headers=world.auth("v1_admin"),
    )
    assert granted.status_code == 201, granted.text
    unknown = await client.get(
        "/api/v1/households/by-code/ZZZZZZZZZZ", headers=world.auth("g1_worker")
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "household.plate_not_found"
    neighbour = await client.get(
        f"/api/v1/households/by-code/{mine}", headers=world.auth("v1_villager")
    )
    assert neighbour.status_code == 404
    assert (neighbour.json()["code"], neighbour.json()["detail"]) == (
        unknown.json()["code"],
        unknown.json()["detail"],
    )
    admin = await client.get(f"/api/v1/households/by-code/{mine}", headers=world.auth("v2_admin"))
    assert admin.status_code == 404
    stranger = await client.get(
        f"/api/v1/households/by-code/{mine}", headers=world.auth("v2_villager")
    )
    assert stranger.status_code == 403
    junk = await client.get("/api/v1/households/by-code/../1", headers=world.auth("g1_worker"))
    assert junk.status_code in (404, 422)
    log = await client.get(
        "/api/v1/admin/audit",
        params={"action": "roster.door_plates"},
        headers=world.auth("v1_admin"),
    )
    assert [e["after"]["households"] for e in log.json()["items"]] == [9, 9, 9]

"""The village office: the duty rota (no overlaps), who is on duty today (no personal phones),
service requests taken by the cadre on duty (else the village admins), the state machine, the
single rating, the requester told of each change, and the monthly report."""

from datetime import datetime, time, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from app.china_time import CHINA, to_china, utcnow
from app.models.notifications import Notification
from tests.helpers.factories import World
from tests.helpers.papers import read_paper

SHIFTS = "/api/v1/admin/duty-shifts"
REQUESTS = "/api/v1/service-requests"


async def _shift(
    client: httpx.AsyncClient,
    world: World,
    person: str,
    start: datetime,
    hours: float,
    **extra: Any,
) -> httpx.Response:
    china = to_china(start)
    end = to_china(start + timedelta(hours=hours))
    body = {
        "person_id": world.ids[person],
        "date": china.date().isoformat(),
        "starts_at": china.isoformat(),
        "ends_at": end.isoformat(),
        **extra,
    }
    return await client.post(SHIFTS, json=body, headers=world.auth("v1_admin"))


async def _file(client: httpx.AsyncClient, world: World, who: str = "v1_villager") -> dict:
    r = await client.post(
        REQUESTS,
        json={"kind": "errand", "title": "代办医保续费", "description": "老人行动不便"},
        headers=world.auth(who),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _move(
    client: httpx.AsyncClient, world: World, request_id: int, who: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/service-requests/{request_id}/transitions",
        json=body,
        headers=world.auth(who),
    )


async def test_shifts_a_week_at_once_and_never_overlapping(
    client: httpx.AsyncClient, world: World
) -> None:
    monday = datetime.combine(to_china(utcnow()).date() + timedelta(days=7), time(8, 30), CHINA)
    week = await client.post(
        SHIFTS,
        json={
            "person_id": world.ids["g1_worker"],
            "date": monday.date().isoformat(),
            "starts_at": "08:30",
            "ends_at": "17:30",
            "repeat_days": 7,
        },
        headers=world.auth("v1_admin"),
    )
    assert week.status_code == 201, week.text
    days = [to_china(datetime.fromisoformat(s["starts_at"])) for s in week.json()["items"]]
    assert [d.date() for d in days] == [monday.date() + timedelta(days=i) for i in range(7)]
    assert {d.time() for d in days} == {time(8, 30)}
    overlap = await _shift(client, world, "g1_worker", monday + timedelta(days=3, hours=8), 2)
    assert overlap.status_code == 409 and overlap.json()["code"] == "duty.overlap"
    # Touching end to start is not an overlap; another person at the same time is fine.
    evening = await _shift(client, world, "g1_worker", monday + timedelta(hours=9), 3)
    assert evening.status_code == 201, evening.text
    assert (await _shift(client, world, "v1_admin", monday, 9)).status_code == 201
    backwards = await _shift(client, world, "v1_admin", monday + timedelta(days=1), -1)
    assert backwards.status_code == 422 and backwards.json()["code"] == "duty.bad_times"
    stranger = await _shift(client, world, "v2_villager", monday, 2)
    assert stranger.status_code == 422 and stranger.json()["code"] == "duty.person_not_in_village"
    other = await client.post(
        SHIFTS,
        json={
            "village_id": world.ids["v2"],
            "person_id": world.ids["v2_villager"],
            "date": monday.date().isoformat(),
            "starts_at": "08:00",
            "ends_at": "12:00",
        },
        headers=world.auth("v1_admin"),
    )
    assert other.status_code == 404
    listed = await client.get(
        SHIFTS, params={"date_from": monday.date().isoformat()}, headers=world.auth("v1_admin")
    )
    assert len(listed.json()["items"]) == 9


async def test_duty_today_shows_the_office_phone_not_a_personal_one(
    client: httpx.AsyncClient, world: World
) -> None:
    await client.patch(
        f"/api/v1/admin/villages/{world.ids['v1']}",
        json={"office_phone": "0314-5551234"},
        headers=world.auth("v1_admin"),
    )
    now = utcnow()
    assert (
        await _shift(client, world, "g1_worker", now - timedelta(hours=1), 3)
    ).status_code == 201
    today = await client.get("/api/v1/duty/today", headers=world.auth("v1_villager"))
    assert today.status_code == 200, today.text
    [on] = today.json()["items"]
    assert (on["name"], on["role"], on["office_phone"]) == ("g1_worker", "网格员", "0314-5551234")
    assert "phone" not in on
    elsewhere = await client.get("/api/v1/duty/today", headers=world.auth("v2_villager"))
    assert elsewhere.json()["items"] == []
    other_town = await client.get(
        "/api/v1/duty/today",
        params={"village_id": world.ids["v1"]},
        headers=world.auth("w1_villager"),
    )
    assert other_town.status_code == 404  # public within the town, not across towns


async def test_the_cadre_on_duty_takes_the_request_else_the_admins(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    nobody = await _file(client, world)
    assert nobody["handler"] is None and nobody["status"] == "submitted"
    borrowed = await client.post(
        REQUESTS,
        json={"kind": "other", "title": "借图", "description": "别人的照片", "media_ids": [999999]},
        headers=world.auth("v1_villager"),
    )
    assert borrowed.status_code == 422 and borrowed.json()["code"] == "media.not_yours"
    now = utcnow()
    await _shift(client, world, "g1_worker", now - timedelta(hours=1), 3)
    taken = await _file(client, world)
    assert taken["handler"] == {"person_id": world.ids["g1_worker"], "name": "g1_worker"}
    # The village admin's desk holds both; the grid worker's only the one handed to them.
    desk = await client.get(
        "/api/v1/admin/service-requests", params={"status": "open"}, headers=world.auth("v1_admin")
    )
    assert {r["id"] for r in desk.json()["items"]} == {nobody["id"], taken["id"]}
    mine = await client.get("/api/v1/admin/service-requests", headers=world.auth("g1_worker"))
    assert [r["id"] for r in mine.json()["items"]] == [taken["id"]]
    other = await client.get("/api/v1/admin/service-requests", headers=world.auth("v2_admin"))
    assert other.json()["items"] == []
    stranger = await _move(client, world, taken["id"], "v2_admin", action="accept")
    assert stranger.status_code == 404

    # The whole road, each step told to the requester once.
    accepted = await _move(client, world, taken["id"], "g1_worker", action="accept")
    assert accepted.json()["status"] == "accepted", accepted.text
    again = await _move(client, world, taken["id"], "g1_worker", action="accept")
    assert again.status_code == 409
    assert again.json()["code"] == "service_request.invalid_transition"
    early = await client.post(
        f"{REQUESTS}/{taken['id']}/rating", json={"stars": 5}, headers=world.auth("v1_villager")
    )
    assert early.status_code == 409 and early.json()["code"] == "service_request.not_done"
    done = await _move(client, world, taken["id"], "g1_worker", action="done", note="已办好")
    assert done.json()["status"] == "done" and done.json()["done_at"]
    assert [s["action"] for s in done.json()["steps"]] == ["submit", "accept", "done"]
    rated = await client.post(
        f"{REQUESTS}/{taken['id']}/rating",
        json={"stars": 4, "comment": "很快"},
        headers=world.auth("v1_villager"),
    )
    assert rated.status_code == 200 and rated.json()["rating"] == 4
    twice = await client.post(
        f"{REQUESTS}/{taken['id']}/rating", json={"stars": 1}, headers=world.auth("v1_villager")
    )
    assert twice.status_code == 409 and twice.json()["code"] == "service_request.already_rated"
    not_mine = await client.post(
        f"{REQUESTS}/{nobody['id']}/rating", json={"stars": 1}, headers=world.auth("v2_villager")
    )
    assert not_mine.status_code == 404
    async with app.state.sessionmaker() as session:
        told = (
            await session.exec(
                select(Notification.occasion).where(
                    col(Notification.kind) == "service_request_updated",
                    col(Notification.target_id) == str(taken["id"]),
                    col(Notification.person_id) == world.ids["v1_villager"],
                )
            )
        ).all()
    assert sorted(told) == ["accepted", "done"]

    # Declining needs a reason; handing over needs someone of the village.
    no_reason = await _move(client, world, nobody["id"], "v1_admin", action="decline")
    assert no_reason.status_code == 422
    outsider = await _move(
        client, world, nobody["id"], "v1_admin", action="reassign", person_id=world.ids["v2_admin"]
    )
    assert outsider.status_code == 422
    assert outsider.json()["code"] == "service_request.handler_invalid"
    handed = await _move(
        client, world, nobody["id"], "v1_admin", action="reassign", person_id=world.ids["g1_worker"]
    )
    assert handed.json()["handler"]["person_id"] == world.ids["g1_worker"]
    declined = await _move(
        client, world, nobody["id"], "g1_worker", action="decline", note="不属于代办范围"
    )
    assert declined.json()["status"] == "declined"
    after = await _move(client, world, nobody["id"], "v1_admin", action="done")
    assert after.status_code == 409


async def test_the_monthly_report_per_handler(client: httpx.AsyncClient, world: World) -> None:
    await _shift(client, world, "g1_worker", utcnow() - timedelta(hours=1), 3)
    for stars in (5, 3):
        made = await _file(client, world)
        await _move(client, world, made["id"], "g1_worker", action="accept")
        await _move(client, world, made["id"], "g1_worker", action="done")
        await client.post(
            f"{REQUESTS}/{made['id']}/rating",
            json={"stars": stars},
            headers=world.auth("v1_villager"),
        )
    await _file(client, world)
    period = to_china(utcnow()).strftime("%Y-%m")
    report = await client.get(
        "/api/v1/admin/service-requests/report",
        params={"period": period},
        headers=world.auth("v1_admin"),
    )
    data = report.json()
    assert (data["requests"], data["done"], data["average_rating"]) == (3, 2, 4.0)
    [line] = data["handlers"]
    assert (line["name"], line["requests"], line["done"]) == ("g1_worker", 3, 2)
    paper = read_paper(
        await client.get(
            "/api/v1/admin/service-requests/report",
            params={"period": period, "format": "xlsx"},
            headers=world.auth("v1_admin"),
        )
    )
    assert paper.file_name.startswith("一村") and paper.file_name.endswith("代办服务统计.xlsx")
    assert paper.rows[0][1:4] == ["g1_worker", 3, 2] and paper.rows[0][5] == 4.0
    assert (
        await client.get(
            "/api/v1/admin/service-requests/report",
            params={"period": period, "village_id": world.ids["v1"]},
            headers=world.auth("v2_admin"),
        )
    ).status_code == 404

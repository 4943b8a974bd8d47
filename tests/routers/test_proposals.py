"""四议两公开: the six stages in order, each body's quorum and majority at its exact edges,
votes that do not add up, the two disclosures on the feed and in the compliance report, and
the supervision committee's reads and objections within its village."""

from typing import Any

import httpx
import pytest

from app.china_time import to_china, utcnow
from app.models.proposals import MeetingBody
from app.services.proposals.rules import judge
from tests.helpers.factories import World, _phones

HELD = "2026-11-20T19:00:00+08:00"


async def _propose(client: httpx.AsyncClient, world: World, who: str = "v1_admin") -> dict:
    r = await client.post(
        "/api/v1/admin/proposals",
        json={"title": "村东道路硬化", "content": "硬化 800 米土路", "held_at": HELD, "present": 5},
        headers=world.auth(who),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _step(
    client: httpx.AsyncClient, world: World, proposal_id: int, stage: str, **votes: Any
) -> httpx.Response:
    body = {"stage": stage, "held_at": HELD, **votes}
    return await client.post(
        f"/api/v1/admin/proposals/{proposal_id}/steps", json=body, headers=world.auth("v1_admin")
    )


async def _publish(
    client: httpx.AsyncClient, world: World, proposal_id: int, kind: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/admin/proposals/{proposal_id}/publications",
        json={"kind": kind, "body": "经表决通过，现予公开。"},
        headers=world.auth("v1_admin"),
    )


PASS = {"expected": 9, "present": 9, "in_favour": 9}


@pytest.mark.parametrize(
    ("body", "expected", "present", "in_favour", "quorum", "passed"),
    [
        # Representatives: two thirds present exactly is enough; a majority of those present.
        (MeetingBody.representatives, 30, 20, 11, True, True),
        (MeetingBody.representatives, 30, 20, 10, True, False),
        (MeetingBody.representatives, 30, 19, 19, False, False),
        # Villagers: more than half present; more than half of those present in favour.
        (MeetingBody.villagers, 100, 51, 26, True, True),
        (MeetingBody.villagers, 100, 51, 25, True, False),
        (MeetingBody.villagers, 100, 50, 50, False, False),
        # Party congress: more than half of all members present, and more than half of all of
        # them (not of those present) in favour.
        (MeetingBody.party_congress, 21, 11, 11, True, True),
        (MeetingBody.party_congress, 21, 11, 10, True, False),
        (MeetingBody.party_congress, 21, 10, 10, False, False),
        (MeetingBody.two_committees, 9, 5, 3, True, True),
        (MeetingBody.two_committees, 9, 4, 4, False, False),
    ],
)
def test_quorum_and_majority_at_their_edges(
    body: MeetingBody, expected: int, present: int, in_favour: int, quorum: bool, passed: bool
) -> None:
    verdict = judge(body, expected=expected, present=present, in_favour=in_favour)
    assert (verdict.quorum, verdict.passed) == (quorum, passed)


async def test_the_whole_road_to_the_feed_and_the_compliance_report(
    client: httpx.AsyncClient, world: World
) -> None:
    made = await _propose(client, world)
    assert made["stage"] == "proposed" and made["steps"][0]["body"] == "branch_committee"
    assert (await _step(client, world, made["id"], "deliberated", **PASS)).json()["stage"] == (
        "deliberated"
    )
    assert (await _step(client, world, made["id"], "reviewed", **PASS)).json()[
        "stage"
    ] == "reviewed"
    resolved = await _step(
        client,
        world,
        made["id"],
        "resolved",
        body="representatives",
        expected=30,
        present=20,
        in_favour=11,
        against=5,
        abstain=4,
    )
    assert resolved.json()["stage"] == "resolved", resolved.text
    early = await _publish(client, world, made["id"], "result")
    assert early.status_code == 409 and early.json()["code"] == "proposal.wrong_stage"
    resolution = await _publish(client, world, made["id"], "resolution")
    assert resolution.status_code == 201, resolution.text
    post = resolution.json()
    assert post["category"] == "disclosure_village" and post["status"] == "published"
    assert post["title"].startswith("决议公开：")
    result = await _publish(client, world, made["id"], "result")
    assert result.status_code == 201
    again = await _publish(client, world, made["id"], "result")
    assert again.status_code == 409

    feed = await client.get(
        "/api/v1/feed",
        params={"category": "disclosure_village"},
        headers=world.auth("v1_villager"),
    )
    assert {p["id"] for p in feed.json()["items"]} == {post["id"], result.json()["id"]}
    period = to_china(utcnow()).strftime("%Y-%m")
    compliance = await client.get(
        "/api/v1/admin/disclosures/compliance",
        params={"period": period},
        headers=world.auth("v1_admin"),
    )
    [v1] = [i for i in compliance.json()["items"] if i["village_id"] == world.ids["v1"]]
    assert "disclosure_village" in v1["published"]

    # Another town's villager, and another village's in the same town: the list answers as
    # the item does (issue 27, item 12), "not found".
    for stranger in ("w1_villager", "v2_villager"):
        across = await client.get(
            "/api/v1/proposals",
            params={"village_id": world.ids["v1"]},
            headers=world.auth(stranger),
        )
        assert across.status_code == 404 and across.json()["code"] == "village.not_found"
    public = await client.get("/api/v1/proposals", headers=world.auth("v1_villager"))
    [shown] = public.json()["items"]
    assert shown["stage"] == "result_published"
    assert [s["stage"] for s in shown["steps"]] == [
        "proposed",
        "deliberated",
        "reviewed",
        "resolved",
    ]
    assert shown["steps"][-1]["in_favour"] == 11 and shown["resolution_post_id"] == post["id"]


async def test_every_stage_out_of_order_is_refused(client: httpx.AsyncClient, world: World) -> None:
    made = await _propose(client, world)
    for stage, extra in (("reviewed", {}), ("resolved", {"body": "villagers"})):
        skipped = await _step(client, world, made["id"], stage, **PASS, **extra)
        assert skipped.status_code == 409 and skipped.json()["code"] == "proposal.wrong_stage"
    assert (await _publish(client, world, made["id"], "resolution")).status_code == 409
    await _step(client, world, made["id"], "deliberated", **PASS)
    twice = await _step(client, world, made["id"], "deliberated", **PASS)
    assert twice.status_code == 409
    # A failed vote ends the matter: nothing follows a rejection.
    failed = await _step(
        client, world, made["id"], "reviewed", expected=21, present=11, in_favour=10
    )
    assert failed.status_code == 200 and failed.json()["stage"] == "rejected"
    assert failed.json()["steps"][-1]["passed"] is False
    after = await _step(client, world, made["id"], "resolved", body="villagers", **PASS)
    assert after.status_code == 409


async def test_no_quorum_stores_nothing_and_votes_must_add_up(
    client: httpx.AsyncClient, world: World
) -> None:
    made = await _propose(client, world)
    await _step(client, world, made["id"], "deliberated", **PASS)
    await _step(client, world, made["id"], "reviewed", **PASS)
    short = await _step(
        client,
        world,
        made["id"],
        "resolved",
        body="representatives",
        expected=30,
        present=19,
        in_favour=19,
    )
    assert short.status_code == 422 and short.json()["code"] == "proposal.no_quorum"
    for votes in (
        {"expected": 10, "present": 11, "in_favour": 6},
        {"expected": 30, "present": 20, "in_favour": 15, "against": 5, "abstain": 1},
    ):
        wrong = await _step(client, world, made["id"], "resolved", body="villagers", **votes)
        assert wrong.status_code == 422 and wrong.json()["code"] == "proposal.votes_invalid"
    no_body = await _step(client, world, made["id"], "resolved", **PASS)
    assert no_body.status_code == 422
    read = await client.get(f"/api/v1/proposals/{made['id']}", headers=world.auth("v1_admin"))
    assert read.json()["stage"] == "reviewed" and len(read.json()["steps"]) == 3


async def _supervisor(client: httpx.AsyncClient, world: World, village: str) -> dict[str, str]:

    admin = f"{village}_admin"
    person = await client.post(
        "/api/v1/admin/people",
        json={
            "name": f"{village}监委会",
            "phone": str(next(_phones)),
            "village_id": world.ids[village],
            "is_party_member": False,
        },
        headers=world.auth(admin),
    )
    assert person.status_code == 201, person.text
    grant = await client.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": person.json()["id"],
            "role": "supervisor",
            "scope_type": "village",
            "scope_id": world.ids[village],
        },
        headers=world.auth(admin),
    )
    assert grant.status_code == 201, grant.text
    login = await client.post(
        f"/api/v1/admin/people/{person.json()['id']}/password",
        json={"username": f"{village}_supervisor", "password": "supervise-2026"},
        headers=world.auth(admin),
    )
    assert login.status_code == 200, login.text
    token = await client.post(
        "/api/v1/auth/token",
        data={"username": f"{village}_supervisor", "password": "supervise-2026"},
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_supervisors_watch_every_stage_of_their_village_and_object(
    client: httpx.AsyncClient, world: World
) -> None:
    watcher = await _supervisor(client, world, "v1")
    elsewhere = await _supervisor(client, world, "v2")
    made = await _propose(client, world)
    url = f"/api/v1/proposals/{made['id']}"
    assert (await client.get(url, headers=watcher)).status_code == 200
    assert (await client.get(url, headers=world.auth("v1_villager"))).status_code == 404
    assert (await client.get(url, headers=elsewhere)).status_code == 404
    listed = await client.get("/api/v1/admin/proposals", headers=watcher)
    assert [p["id"] for p in listed.json()["items"]] == [made["id"]]
    assert (await client.get("/api/v1/admin/proposals", headers=elsewhere)).json()["items"] == []
    # A supervisor records nothing: the steps are the village admins'.
    meddling = await client.post(
        f"/api/v1/admin/proposals/{made['id']}/steps",
        json={"stage": "deliberated", "held_at": HELD, **PASS},
        headers=watcher,
    )
    assert meddling.status_code == 403

    objection = await client.post(
        f"{url}/objections", json={"reason": "预算明细未公开"}, headers=watcher
    )
    assert objection.status_code == 201, objection.text
    for outsider in (elsewhere, world.auth("v1_villager")):
        refused = await client.post(
            f"{url}/objections", json={"reason": "看不到"}, headers=outsider
        )
        assert refused.status_code == 404
    waiting = await client.get("/api/v1/admin/objections", headers=world.auth("v1_admin"))
    assert [o["id"] for o in waiting.json()["items"]] == [objection.json()["id"]]
    board = await client.get("/api/v1/admin/dashboard", headers=world.auth("v1_admin"))
    assert board.json()["queues"]["objections_open"] == 1
    answer_url = f"/api/v1/admin/objections/{objection.json()['id']}/answer"
    stranger = await client.post(
        answer_url, json={"answer": "与你无关"}, headers=world.auth("v2_admin")
    )
    assert stranger.status_code == 404
    answered = await client.post(
        answer_url, json={"answer": "明细已张贴"}, headers=world.auth("v1_admin")
    )
    assert answered.status_code == 200 and answered.json()["answer"] == "明细已张贴"
    twice = await client.post(answer_url, json={"answer": "再答"}, headers=world.auth("v1_admin"))
    assert twice.status_code == 409 and twice.json()["code"] == "objection.already_answered"
    seen = await client.get(url, headers=watcher)
    assert seen.json()["objections"][0]["answer"] == "明细已张贴"
    board = await client.get("/api/v1/admin/dashboard", headers=world.auth("v1_admin"))
    assert board.json()["queues"]["objections_open"] == 0
    # The committee also reads how the shop's prize fund was spent, in its own village only.
    fund = {"period": to_china(utcnow()).strftime("%Y-%m"), "village_id": world.ids["v1"]}
    report = await client.get("/api/v1/admin/shop/reports", params=fund, headers=watcher)
    assert report.status_code == 200, report.text
    other = await client.get("/api/v1/admin/shop/reports", params=fund, headers=elsewhere)
    assert other.status_code == 404

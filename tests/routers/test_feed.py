"""The publicity feed: review, scopes, the personal-data guard, pagination, likes, views,
and the monthly disclosure compliance."""

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from app.china_time import to_china, utcnow
from app.jobs import flush_view_counts
from app.models.feed import Post
from app.services.kit.personal_data import luhn, scan, valid_id_number
from tests.helpers.factories import World

ID_NUMBER = "11010519491231002X"  # the checksum example of GB 11643
CARD = "6222020200112345679"  # Luhn-valid


def post(title: str = "丰收节", **fields: object) -> dict[str, object]:
    return {
        "title": title,
        "body": "今年的丰收节在村委会广场举行。",
        "category": "activity",
        **fields,
    }


async def test_villager_posts_wait_for_review(client: httpx.AsyncClient, world: World) -> None:
    made = await client.post("/api/v1/posts", json=post(), headers=world.auth("v1_villager"))
    assert made.status_code == 201 and made.json()["status"] == "pending_review"
    feed = (await client.get("/api/v1/feed", headers=world.auth("v1_villager"))).json()
    assert feed["items"] == []
    queue = (await client.get("/api/v1/admin/posts", headers=world.auth("v1_admin"))).json()
    assert [p["id"] for p in queue["items"]] == [made.json()["id"]]
    assert (await client.get("/api/v1/admin/posts", headers=world.auth("v2_admin"))).json()[
        "items"
    ] == []
    wrong = await client.post(
        f"/api/v1/admin/posts/{made.json()['id']}/review",
        json={"decision": "approve"},
        headers=world.auth("v2_admin"),
    )
    assert wrong.status_code == 404
    ok = await client.post(
        f"/api/v1/admin/posts/{made.json()['id']}/review",
        json={"decision": "approve"},
        headers=world.auth("v1_admin"),
    )
    assert ok.json()["status"] == "published"
    again = await client.post(
        f"/api/v1/admin/posts/{made.json()['id']}/review",
        json={"decision": "reject"},
        headers=world.auth("v1_admin"),
    )
    assert again.status_code == 409
    seen = (await client.get("/api/v1/feed", headers=world.auth("v1_villager"))).json()
    assert [p["title"] for p in seen["items"]] == ["丰收节"]
    other_village = (await client.get("/api/v1/feed", headers=world.auth("v2_villager"))).json()
    assert other_village["items"] == []


async def test_personal_data_is_refused_or_masked(client: httpx.AsyncClient, world: World) -> None:
    body = post(body=f"低保户张大爷，身份证{ID_NUMBER}，电话13812345678，卡号{CARD}。")
    refused = await client.post("/api/v1/posts", json=body, headers=world.auth("v1_admin"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "post.personal_data"
    assert set(refused.json()["kinds"]) == {"身份证号", "手机号", "银行卡号"}
    masked = await client.post(
        "/api/v1/posts", json={**body, "mask_personal_data": True}, headers=world.auth("v1_admin")
    )
    text = masked.json()["body"]
    assert ID_NUMBER not in text and "13812345678" not in text and CARD not in text
    assert "110*************2X" in text and "138****5678" in text and "***************5679" in text


def test_guard_ignores_numbers_that_are_not_personal() -> None:
    assert valid_id_number(ID_NUMBER) and not valid_id_number("110105194912310021")
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert scan("本月收入 123456 元，编号 110105194912310021。").kinds == ()


async def test_disclosures_are_for_admins_and_counted(
    client: httpx.AsyncClient, world: World
) -> None:
    period = to_china(utcnow()).strftime("%Y-%m")
    disclosure = post("十一月财务公开", category="disclosure_finance", disclosure_period=period)
    refused = await client.post("/api/v1/posts", json=disclosure, headers=world.auth("v1_villager"))
    assert refused.status_code == 403 and refused.json()["code"] == "post.disclosure_admin_only"
    no_period = await client.post(
        "/api/v1/posts",
        json={**disclosure, "disclosure_period": None},
        headers=world.auth("v1_admin"),
    )
    assert no_period.status_code == 422 and no_period.json()["code"] == "post.disclosure_period"
    for category in ("disclosure_finance", "disclosure_party"):
        r = await client.post(
            "/api/v1/posts",
            json={**disclosure, "category": category},
            headers=world.auth("v1_admin"),
        )
        assert r.status_code == 201 and r.json()["status"] == "published"
    report = (
        await client.get(
            "/api/v1/admin/disclosures/compliance",
            params={"period": period},
            headers=world.auth("town_a_admin"),
        )
    ).json()
    by_village = {i["village_id"]: i for i in report["items"]}
    assert set(by_village) == {world.ids["v1"], world.ids["v2"]}
    assert by_village[world.ids["v1"]]["published"] == ["disclosure_party", "disclosure_finance"]
    assert len(by_village[world.ids["v1"]]["missing"]) == 4
    assert len(by_village[world.ids["v2"]]["missing"]) == 6


async def test_feed_pages_stay_stable_while_posts_arrive(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = world.auth("v1_admin")
    for i in range(5):
        await client.post("/api/v1/posts", json=post(f"消息{i}"), headers=admin)
    await client.post("/api/v1/posts", json=post("置顶通知", pinned=True), headers=admin)
    first = (
        await client.get("/api/v1/feed", params={"limit": 3}, headers=world.auth("v1_villager"))
    ).json()
    assert [p["title"] for p in first["items"]] == ["置顶通知", "消息4", "消息3"]
    await client.post("/api/v1/posts", json=post("新消息"), headers=admin)
    rest = (
        await client.get(
            "/api/v1/feed",
            params={"limit": 10, "cursor": first["next_cursor"]},
            headers=world.auth("v1_villager"),
        )
    ).json()
    assert [p["title"] for p in rest["items"]] == ["消息2", "消息1", "消息0"]


async def test_likes_are_idempotent_and_views_flush_in_batches(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    made = (await client.post("/api/v1/posts", json=post(), headers=world.auth("v1_admin"))).json()
    url = f"/api/v1/posts/{made['id']}/like"
    for _ in range(3):
        liked = await client.post(url, headers=world.auth("v1_villager"))
    assert liked.json() == {"post_id": made["id"], "liked": True, "like_count": 1}
    await client.post(url, headers=world.auth("v1_admin"))
    gone = await client.delete(url, headers=world.auth("v1_villager"))
    assert gone.json()["like_count"] == 1
    assert (await client.delete(url, headers=world.auth("v1_villager"))).json()["like_count"] == 1
    for _ in range(4):
        viewed = await client.get(f"/api/v1/posts/{made['id']}", headers=world.auth("v1_villager"))
    assert viewed.json()["view_count"] == 4
    moved = await flush_view_counts(
        {"sessionmaker": app.state.sessionmaker, "cache": app.state.cache}
    )
    assert moved == 4
    listed = (await client.get("/api/v1/feed", headers=world.auth("v1_villager"))).json()
    assert listed["items"][0]["view_count"] == 4 and listed["items"][0]["like_count"] == 1


@pytest.mark.parametrize("who", ["v2_villager", "w1_villager"])
async def test_other_villages_cannot_like_or_read(
    client: httpx.AsyncClient, world: World, who: str
) -> None:
    made = (await client.post("/api/v1/posts", json=post(), headers=world.auth("v1_admin"))).json()
    assert (
        await client.get(f"/api/v1/posts/{made['id']}", headers=world.auth(who))
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/posts/{made['id']}/like", headers=world.auth(who))
    ).status_code == 404


async def test_scheduled_posts_appear_at_their_time(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    later = (utcnow() + timedelta(hours=2)).isoformat()
    admin = await client.post(
        "/api/v1/posts", json=post("春节通知", publish_at=later), headers=world.auth("v1_admin")
    )
    assert admin.status_code == 201 and admin.json()["status"] == "published"
    assert admin.json()["published_at"] is not None

    async def feed_ids() -> list[int]:
        r = await client.get("/api/v1/feed", headers=world.auth("v1_villager"))
        return [p["id"] for p in r.json()["items"]]

    assert admin.json()["id"] not in await feed_ids()
    # A villager's scheduled post keeps its time through review.
    mine = await client.post(
        "/api/v1/posts", json=post("年货节", publish_at=later), headers=world.auth("v1_villager")
    )
    approved = await client.post(
        f"/api/v1/admin/posts/{mine.json()['id']}/review",
        json={"decision": "approve"},
        headers=world.auth("v1_admin"),
    )
    scheduled = datetime.fromisoformat(approved.json()["published_at"])
    assert abs(scheduled - datetime.fromisoformat(later)) < timedelta(seconds=1)
    async with app.state.sessionmaker() as s, s.begin():
        await s.execute(
            update(Post)
            .where(col(Post.id).in_([admin.json()["id"], mine.json()["id"]]))
            .values(published_at=utcnow() - timedelta(minutes=1))
        )
    shown = await feed_ids()
    assert admin.json()["id"] in shown and mine.json()["id"] in shown
    naive = await client.post(
        "/api/v1/posts",
        json=post("无时区", publish_at="2026-12-01T08:00:00"),
        headers=world.auth("v1_admin"),
    )
    assert naive.status_code == 422


async def test_the_first_page_is_kept_until_a_post_changes(
    client: httpx.AsyncClient, world: World, app: FastAPI
) -> None:
    """Kept for everyone of the village for a few seconds; publishing, hiding or removing a
    post shows at the next request, a like or a view does not rebuild the page."""
    first = await client.post("/api/v1/posts", json=post("一"), headers=world.auth("v1_admin"))
    first_id = first.json()["id"]
    seen = (await client.get("/api/v1/feed", headers=world.auth("v1_villager"))).json()
    assert [p["title"] for p in seen["items"]] == ["一"]
    # Behind the service's back (no commit hook sees it): the kept page still answers.
    async with app.state.engine.begin() as connection:
        await connection.execute(update(Post).values(title="改过的标题"))
    kept = (await client.get("/api/v1/feed", headers=world.auth("v2_villager"))).json()
    assert kept["items"] == [], "another village has its own page"
    again = (await client.get("/api/v1/feed", headers=world.auth("v1_villager"))).json()
    assert [p["title"] for p in again["items"]] == ["一"]
    liked = await client.post(f"/api/v1/posts/{first_id}/like", headers=world.auth("v1_villager"))
    assert liked.json()["like_count"] == 1
    after_like = (await client.get("/api/v1/feed", headers=world.auth("v1_villager"))).json()
    assert after_like["items"][0]["like_count"] == 0, "a like never waits for the page"
    # A new post is a change: the page is rebuilt, with what the database holds now.
    await client.post("/api/v1/posts", json=post("二"), headers=world.auth("v1_admin"))
    rebuilt = (await client.get("/api/v1/feed", headers=world.auth("v1_villager"))).json()
    assert [p["title"] for p in rebuilt["items"]] == ["二", "改过的标题"]
    assert rebuilt["items"][1]["like_count"] == 1

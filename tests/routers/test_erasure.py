"""Erasure (PIPL art. 47): a village admin erases a villager who moved away. Afterwards the
person has a pseudonym and no phone, WeChat binding or session; nobody finds them by the old
phone and they cannot log in or bind again; their ledger entries are all there and every chain
still verifies; their photo stays but no longer names them; the audit entry names who erased
and why without the erased values. A branch's admin or another village's cannot, and twice is
refused."""

import json

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from app.models.audit import AuditEntry
from app.models.media import Media
from app.models.points import PointsAccount
from app.services.points import chain
from tests.helpers.factories import World
from tests.helpers.grid import upload
from tests.helpers.points import award, make_rule


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def agree(client: httpx.AsyncClient, token: str) -> None:
    version = (await client.get("/api/v1/privacy")).json()["version"]
    r = await client.post(
        "/api/v1/me/privacy-consent", json={"version": version}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text


async def test_an_erased_villager_is_gone_but_the_books_still_verify(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    who = world.ids["v1_villager"]
    villager = world.auth("v1_villager")
    phone = (await client.get("/api/v1/me", headers=villager)).json()["phone"]
    phone_login = (
        await client.post("/api/v1/auth/wechat-login", json={"code": "moving-away"})
    ).json()
    await agree(client, phone_login["access_token"])
    bound = await client.post(
        "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(phone_login["access_token"])
    )
    assert bound.status_code == 200, bound.text
    await make_rule(client, world, code="vol", title="志愿服务", ledger="volunteer", points=2)
    for _ in range(3):
        assert (
            await award(client, world, code="vol", household=None, person="v1_villager")
        ).status_code == 201
    photo = await upload(client, villager)
    name = (await client.get("/api/v1/me", headers=villager)).json()["name"]
    moved = await client.patch(
        f"/api/v1/admin/people/{who}", json={"relation": "长子"}, headers=world.auth("v1_admin")
    )
    assert moved.status_code == 200, moved.text  # an audited picture of them, name and phone
    before = (
        await client.get("/api/v1/me/points", params={"ledger": "volunteer"}, headers=villager)
    ).json()

    for other in ("b1_admin", "v2_admin"):
        refused = await client.post(
            f"/api/v1/admin/people/{who}/erase",
            json={"reason": "已迁出"},
            headers=world.auth(other),
        )
        assert refused.status_code == 404, other
    erased = await client.post(
        f"/api/v1/admin/people/{who}/erase",
        json={"reason": "已迁出本村"},
        headers=world.auth("v1_admin"),
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["name"] == f"已注销-{who}" and erased.json()["phone"] is None
    twice = await client.post(
        f"/api/v1/admin/people/{who}/erase",
        json={"reason": "再来一次"},
        headers=world.auth("v1_admin"),
    )
    assert twice.status_code == 409 and twice.json()["code"] == "person.already_erased"

    # No session of theirs works, and neither WeChat nor the old phone brings them back.
    assert (await client.get("/api/v1/me", headers=villager)).status_code == 401
    assert (
        await client.get("/api/v1/me", headers=bearer(phone_login["access_token"]))
    ).status_code == 401
    again = (await client.post("/api/v1/auth/wechat-login", json={"code": "moving-away"})).json()
    assert again["user"]["is_bound"] is False
    await agree(client, again["access_token"])
    rebind = await client.post(
        "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(again["access_token"])
    )
    assert rebind.status_code != 200
    found = await client.get(
        "/api/v1/admin/people", params={"q": phone[-4:]}, headers=world.auth("v1_admin")
    )
    assert all(p["id"] != who for p in found.json()["items"])

    async with app.state.sessionmaker() as session:
        account = (
            await session.exec(
                select(PointsAccount).where(
                    col(PointsAccount.owner_type) == "person", col(PointsAccount.owner_id) == who
                )
            )
        ).one()
        assert account.balance == before["balance"] == 6 and account.entry_count == 3
        assert (await chain.verify(session, account=account)).ok
        kept = await session.get(Media, photo)
        assert kept is not None and kept.uploader_person_id is None
        [trail] = (
            await session.exec(select(AuditEntry).where(col(AuditEntry.action) == "person.erase"))
        ).all()
        pictures = (
            await session.exec(
                select(AuditEntry).where(
                    col(AuditEntry.target_type) == "person", col(AuditEntry.target_id) == str(who)
                )
            )
        ).all()
    assert {"person.update", "person.erase"} <= {e.action for e in pictures}
    for entry in pictures:  # the earlier pictures keep what changed, not who it was
        said = json.dumps([entry.before, entry.after], ensure_ascii=False)
        assert phone not in said and name not in said and "长子" not in said, entry.action
    assert trail.after is not None and trail.after["audit_entries_redacted"] >= 1
    assert trail.actor_person_id == world.ids["v1_admin"] and trail.target_id == str(who)
    written = str(trail.before) + str(trail.after)
    assert "已迁出本村" in written and phone not in written and "v1_villager" not in written

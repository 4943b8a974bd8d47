"""The privacy notice and consent (PIPL): the notice is public; a phone binds only after its
user agreed to the current version (what wx.requirePrivacyAuthorize reported), agreeing twice
is one agreement, an old version is refused, and a town's new notice asks again."""

from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlmodel import col, func, select

from app.models.privacy import PrivacyConsent
from tests.helpers.factories import World


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_binding_waits_for_consent_to_the_current_notice(
    app: FastAPI, client: httpx.AsyncClient, world: World, tmp_path: Path
) -> None:
    notice = await client.get("/api/v1/privacy")
    assert notice.status_code == 200
    version = notice.json()["version"]
    assert "隐私保护指引" in notice.json()["text"] and "删除" in notice.json()["text"]
    phone = (await client.get("/api/v1/me", headers=world.auth("v1_villager"))).json()["phone"]
    token = (await client.post("/api/v1/auth/wechat-login", json={"code": "careful"})).json()[
        "access_token"
    ]
    refused = await client.post(
        "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(token)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "privacy.consent_required"
    stale = await client.post(
        "/api/v1/me/privacy-consent", json={"version": "2020-01-01"}, headers=bearer(token)
    )
    assert stale.status_code == 409 and stale.json()["code"] == "privacy.stale_version"
    first = await client.post(
        "/api/v1/me/privacy-consent", json={"version": version}, headers=bearer(token)
    )
    again = await client.post(
        "/api/v1/me/privacy-consent", json={"version": version}, headers=bearer(token)
    )
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    async with app.state.sessionmaker() as session:
        kept = (
            await session.exec(
                select(func.count())
                .select_from(PrivacyConsent)
                .where(col(PrivacyConsent.version) == version)
            )
        ).one()
    assert kept == 1

    # The town publishes its own notice: a phone that agreed to the old one is asked again.
    own = tmp_path / "notice.md"
    own.write_text("# 本镇隐私保护指引\n\n第二版。", encoding="utf-8")
    shipped = app.state.settings
    app.state.settings = shipped.model_copy(
        update={"privacy_notice_path": own, "privacy_notice_version": "town-2"}
    )
    try:
        assert (await client.get("/api/v1/privacy")).json() == {
            "version": "town-2",
            "text": "# 本镇隐私保护指引\n\n第二版。",
        }
        asked = await client.post(
            "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(token)
        )
        assert asked.status_code == 403 and asked.json()["code"] == "privacy.consent_required"
        await client.post(
            "/api/v1/me/privacy-consent", json={"version": "town-2"}, headers=bearer(token)
        )
        bound = await client.post(
            "/api/v1/auth/bind-phone", json={"code": phone}, headers=bearer(token)
        )
        assert bound.status_code == 200, bound.text
    finally:
        app.state.settings = shipped

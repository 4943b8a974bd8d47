"""Retention: the hourly job deletes notification rows older than their setting and the private
originals of photos older than theirs (the file and the row's link to it), and leaves what is
younger, and a photo's display variant, alone."""

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app.china_time import utcnow
from app.jobs import enforce_retention
from app.models.media import Media
from app.models.notifications import Notification, NotificationKind
from app.services.notifications import notify
from tests.helpers.factories import World
from tests.helpers.media import photo


async def _evidence(client: httpx.AsyncClient, world: World, seed: int) -> int:
    r = await client.post(
        "/api/v1/media",
        files={"file": ("wx.jpg", photo(seed=seed), "image/jpeg")},
        data={"purpose": "evidence"},
        headers=world.auth("g1_worker"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_old_notifications_and_originals_go_and_the_rest_stays(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    settings = app.state.settings
    old, young = await _evidence(client, world, 71), await _evidence(client, world, 72)
    async with app.state.sessionmaker() as session, session.begin():
        for n in ("old", "young"):
            await notify(
                session,
                people=[world.ids["v1_villager"]],
                kind=NotificationKind.notice,
                target=("notice", n),
                title=n,
                body=n,
                wechat=False,
            )
        long_ago = utcnow() - timedelta(days=settings.retention_notification_days + 1)
        await session.execute(
            update(Notification).where(col(Notification.title) == "old").values(created_at=long_ago)
        )
        await session.execute(
            update(Media)
            .where(col(Media.id) == old)
            .values(
                created_at=utcnow() - timedelta(days=settings.retention_original_photo_days + 1)
            )
        )
    async with app.state.sessionmaker() as session:
        was = await session.get(Media, old)
        assert was is not None and was.original_key is not None
        original, display = was.original_key, was.display_key
    storage = app.state.storage
    assert await storage.get(original) is not None
    ctx = {"sessionmaker": app.state.sessionmaker, "settings": settings, "storage": storage}
    assert await enforce_retention(ctx) == {"notifications": 1, "original_photos": 1}
    assert await enforce_retention(ctx) == {"notifications": 0, "original_photos": 0}
    async with app.state.sessionmaker() as session:
        titles = (await session.exec(select(Notification.title))).all()
        assert titles == ["young"]
        gone, kept = await session.get(Media, old), await session.get(Media, young)
        assert gone is not None and gone.original_key is None
        assert kept is not None and kept.original_key is not None
    assert await storage.get(original) is None
    assert await storage.get(display) is not None

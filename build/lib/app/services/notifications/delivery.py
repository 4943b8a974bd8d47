"""Sending the WeChat messages the inbox rows wait with: in rounds, each claiming a batch of due
rows in one short transaction (SKIP LOCKED on PostgreSQL, so several workers share the work),
sending outside any transaction, and recording each outcome.

Never twice: a row is claimed once, and a (person, kind, target) row in notification_sends is
taken before its message leaves, so neither a second worker, a second trigger nor a retry can
send another. A worker that dies between claim and answer leaves the row claimed; it is failed
after ten minutes (at most once, never twice)."""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.config import SubscribeTemplate
from app.db import SessionMaker, dialect_name, upsert_insert
from app.errors import AppError
from app.models.auth import UserAccount
from app.models.notifications import (
    Notification,
    NotificationKind,
    NotificationSetting,
    WechatSend,
    WechatState,
)
from app.services.kit import SendResult, WechatGateway
from app.services.notifications.inbox import quiet
from app.services.notifications.subscriptions import quota_row

log = logging.getLogger("xiangzhi.notifications")

BATCH = 200
PARALLEL = 16
STUCK_AFTER = timedelta(minutes=10)
# WeChat's limits per field type (the key's letters: thing1, phrase2 …).
_LIMITS = {"thing": 20, "phrase": 5, "name": 10, "character_string": 32, "number": 32}


@dataclass(frozen=True, slots=True)
class Outbox:
    wechat: WechatGateway
    templates: dict[str, SubscribeTemplate]
    state: str  # miniprogram_state


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    openid: str
    template_id: str
    page: str
    data: dict[str, str]


def _fit(key: str, value: Any) -> str:
    """A value as the template field ``key`` takes it, cut to WeChat's limit for its type."""
    kind = key.rstrip("0123456789")
    if kind in ("time", "date") and isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = to_china(value).strftime("%Y-%m-%d %H:%M" if kind == "time" else "%Y-%m-%d")
    text = str(value if value is not None else "").strip() or "—"
    limit = _LIMITS.get(kind)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…" if kind == "thing" else text[:limit]
    return text


def template_data(template: SubscribeTemplate, values: dict[str, Any]) -> dict[str, str]:
    return {key: _fit(key, values.get(source)) for key, source in template.fields.items()}


async def _claim(
    session: AsyncSession, outbox: Outbox, now: datetime
) -> tuple[list[_Claimed], int]:
    """Due rows of this round: those that may go are claimed, the rest settled at once."""
    stmt: Any = (
        select(Notification)
        .where(
            col(Notification.wechat) == WechatState.pending,
            col(Notification.claimed_at).is_(None),
            col(Notification.deliver_after) <= now,
        )
        .order_by(col(Notification.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.exec(stmt)).all())
    if not rows:
        return [], 0
    people = {r.person_id for r in rows}
    openids = {
        a.person_id: a.openid
        for a in (
            await session.exec(
                select(UserAccount).where(
                    col(UserAccount.person_id).in_(people), col(UserAccount.openid).is_not(None)
                )
            )
        ).all()
    }
    off = {
        (s.person_id, s.kind)
        for s in (
            await session.exec(
                select(NotificationSetting).where(
                    col(NotificationSetting.person_id).in_(people),
                    col(NotificationSetting.wechat).is_(False),
                )
            )
        ).all()
    }
    insert = upsert_insert(dialect_name(session))
    claimed: list[_Claimed] = []
    for row in rows:
        template = outbox.templates.get(row.kind.value)
        openid = openids.get(row.person_id)
        reason = None
        if template is None:
            reason = "该类消息未配置订阅模板"
        elif openid is None:
            reason = "未绑定微信"
        elif (row.person_id, row.kind) in off:
            reason = "本人已关闭该类微信提醒"
        if reason is None:
            assert template is not None and openid is not None and row.id is not None
            took: Any = await session.execute(
                insert(WechatSend)
                .values(
                    person_id=row.person_id,
                    kind=row.kind,
                    target_type=row.target_type,
                    target_id=row.target_id,
                    notification_id=row.id,
                    created_at=now,
                )
                .on_conflict_do_nothing()
            )
            if not took.rowcount:
                reason = "同一事项已发过微信消息"
            else:
                quota = await quota_row(session, row.person_id, row.kind)
                if quota.long_term or quota.remaining > 0:
                    if not quota.long_term:
                        quota.remaining -= 1
                    session.add(quota)
                    row.claimed_at = now
                    claimed.append(
                        _Claimed(
                            id=row.id,
                            openid=openid,
                            template_id=template.template_id,
                            page=row.page,
                            data=template_data(template, row.values),
                        )
                    )
                    session.add(row)
                    continue
                # No quota now: a later message about this target may still go.
                await session.delete(
                    (
                        await session.exec(
                            select(WechatSend).where(col(WechatSend.notification_id) == row.id)
                        )
                    ).one()
                )
                row.wechat, row.wechat_detail = WechatState.no_quota, "没有可用的订阅次数"
                session.add(row)
                continue
        row.wechat, row.wechat_detail = WechatState.skipped, reason
        session.add(row)
    await session.flush()
    return claimed, len(rows)


async def _send(outbox: Outbox, item: _Claimed, gate: asyncio.Semaphore) -> SendResult:
    if outbox.wechat.is_mock:
        # Mock mode: recorded as sent, nothing leaves the machine.
        log.info("mock subscribe message", extra={"notification": item.id})
        return SendResult("sent", f"mock-{item.id}")
    async with gate:
        try:
            return await outbox.wechat.send_subscribe_message(
                openid=item.openid,
                template_id=item.template_id,
                page=item.page,
                data=item.data,
                state=outbox.state,
            )
        except AppError as exc:  # the token could not be had, WeChat unreachable
            return SendResult("failed", f"{exc.code} {exc.detail}"[:150])


async def _record(
    session: AsyncSession, claimed: list[_Claimed], results: list[SendResult], now: datetime
) -> None:
    for item, result in zip(claimed, results, strict=True):
        values: dict[str, Any] = {"wechat": WechatState(result.state)}
        if result.state == "sent":
            values.update(sent_at=now, msgid=result.detail[:64] or None, wechat_detail=None)
        else:
            values["wechat_detail"] = result.detail[:200]
            log.warning(
                "subscribe message not delivered",
                extra={"notification": item.id, "state": result.state, "reason": result.detail},
            )
        await session.execute(
            update(Notification).where(col(Notification.id) == item.id).values(**values)
        )
        if result.state == "no_quota":
            # WeChat knows better than our count: this person has nothing left of the kind.
            row = await session.get(Notification, item.id)
            if row is not None:
                quota = await quota_row(session, row.person_id, NotificationKind(row.kind))
                quota.remaining = 0
                session.add(quota)
    await session.flush()


async def deliver_due(sessionmaker: SessionMaker, outbox: Outbox, *, now: datetime) -> int:
    """Sends what is due, round after round, until nothing is left; returns how many rows it
    settled. Nothing leaves in the quiet hours (22:00–07:00 China time)."""
    settled = 0
    async with sessionmaker() as session, session.begin():
        await _unstick(session, now)
    if quiet(now):
        return 0
    gate = asyncio.Semaphore(PARALLEL)
    while True:
        async with sessionmaker() as session, session.begin():
            claimed, seen = await _claim(session, outbox, now)
        if not seen:
            return settled
        results = await asyncio.gather(*(_send(outbox, item, gate) for item in claimed))
        async with sessionmaker() as session, session.begin():
            await _record(session, claimed, list(results), now)
        settled += seen


async def _unstick(session: AsyncSession, now: datetime) -> None:
    await session.execute(
        update(Notification)
        .where(
            col(Notification.wechat) == WechatState.pending,
            col(Notification.claimed_at) < now - STUCK_AFTER,
        )
        .values(wechat=WechatState.failed, wechat_detail="发送中断，未确认是否送达")
    )

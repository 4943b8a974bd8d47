"""What each person allows WeChat to bring them: the templates on offer, the quota their taps
granted (one message per accepted one-time template; unlimited while a long-term one stands),
what WeChat's own pushes say about it, and the kinds they switched off.

The phone and WeChat's push report the same tap. The first report counts; the other, arriving
within ten minutes, is matched to it; where they disagree the push wins and the count follows."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.config import SubscribeTemplate
from app.db import dialect_name, upsert_insert
from app.models.auth import UserAccount
from app.models.notifications import (
    GrantReport,
    GrantSource,
    Notification,
    NotificationKind,
    NotificationSetting,
    QuotaPublic,
    SubscribeQuota,
    TemplatePublic,
    WechatState,
)
from app.services.identity import Principal, bound_person
from app.services.kit import SubscribeEvent

MATCH_WINDOW = timedelta(minutes=10)
Templates = dict[str, SubscribeTemplate]


@dataclass(frozen=True, slots=True)
class Offered:
    kind: NotificationKind
    template: SubscribeTemplate


class UnknownKinds(ValueError):
    """XZ_WECHAT_TEMPLATES names a kind of notification that does not exist."""


def check_templates(templates: Templates) -> None:
    """Refuses, at start-up, templates for kinds that do not exist: a typo in the operator's
    env file would otherwise never send a message. (Settings sit below the tables and do not
    know the kinds; this domain does.)"""
    unknown = sorted(set(templates) - {k.value for k in NotificationKind})
    if unknown:
        raise UnknownKinds(f"XZ_WECHAT_TEMPLATES 里有不认识的消息类型：{'、'.join(unknown)}")


def offered(templates: Templates) -> list[TemplatePublic]:
    return [
        TemplatePublic(
            kind=NotificationKind(kind),
            template_id=t.template_id,
            title=t.title,
            long_term=t.long_term,
        )
        for kind, t in sorted(templates.items())
    ]


def _by_template(templates: Templates, template_id: str) -> Offered | None:
    for kind, template in templates.items():
        if template.template_id == template_id:
            return Offered(NotificationKind(kind), template)
    return None


async def quota_row(
    session: AsyncSession, person_id: int, kind: NotificationKind
) -> SubscribeQuota:
    """The person's quota for a kind, locked for this transaction (made if missing)."""
    insert = upsert_insert(dialect_name(session))
    await session.execute(
        insert(SubscribeQuota)
        .values(person_id=person_id, kind=kind, remaining=0, long_term=False, updated_at=utcnow())
        .on_conflict_do_nothing()
    )
    row = (
        await session.exec(
            select(SubscribeQuota)
            .where(col(SubscribeQuota.person_id) == person_id, col(SubscribeQuota.kind) == kind)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    return row


def _effect(quota: SubscribeQuota, offer: Offered, status: str, sign: int = 1) -> None:
    """What one answer does to the quota (``sign`` -1 takes back what it did)."""
    if status == "accept":
        if offer.template.long_term:
            quota.long_term = sign > 0
        else:
            quota.remaining = max(0, quota.remaining + sign)
    elif offer.template.long_term:
        quota.long_term = False
    if status == "ban" and sign > 0:
        quota.remaining = 0  # the user switched off every message of this mini-program


async def _report(
    session: AsyncSession,
    *,
    person_id: int,
    offer: Offered,
    source: GrantSource,
    status: str,
    push_key: str | None = None,
) -> None:
    quota = await quota_row(session, person_id, offer.kind)
    if push_key is not None:
        again = (
            await session.exec(
                select(GrantReport.id).where(
                    col(GrantReport.person_id) == person_id,
                    col(GrantReport.template_id) == offer.template.template_id,
                    col(GrantReport.push_key) == push_key,
                )
            )
        ).first()
        if again is not None:
            return  # a retry of a push already counted (the quota row lock orders the two)
    other = GrantSource.push if source is GrantSource.phone else GrantSource.phone
    twin = (
        await session.exec(
            select(GrantReport)
            .where(
                col(GrantReport.person_id) == person_id,
                col(GrantReport.kind) == offer.kind,
                col(GrantReport.template_id) == offer.template.template_id,
                col(GrantReport.source) == other,
                col(GrantReport.matched).is_(False),
                col(GrantReport.created_at) >= utcnow() - MATCH_WINDOW,
            )
            .order_by(col(GrantReport.id))
            .limit(1)
        )
    ).first()
    report = GrantReport(
        person_id=person_id,
        kind=offer.kind,
        template_id=offer.template.template_id,
        source=source,
        status=status,
        matched=twin is not None,
        push_key=push_key,
    )
    session.add(report)
    if twin is None:
        _effect(quota, offer, status)
    else:
        twin.matched = True
        session.add(twin)
        pushed = status if source is GrantSource.push else twin.status
        phoned = twin.status if source is GrantSource.push else status
        if pushed != phoned:  # the push wins: undo what the phone's answer did, do the push's
            _effect(quota, offer, phoned, sign=-1)
            _effect(quota, offer, pushed)
    quota.updated_at = utcnow()
    session.add(quota)
    await session.flush()


async def quotas(session: AsyncSession, person_id: int, templates: Templates) -> list[QuotaPublic]:
    rows = {
        q.kind: q
        for q in (
            await session.exec(
                select(SubscribeQuota).where(col(SubscribeQuota.person_id) == person_id)
            )
        ).all()
    }
    return [
        QuotaPublic(
            kind=NotificationKind(kind),
            remaining=rows[NotificationKind(kind)].remaining if kind in rows else 0,
            long_term=rows[NotificationKind(kind)].long_term if kind in rows else False,
        )
        for kind in sorted(templates)
    ]


async def phone_grants(
    session: AsyncSession, *, principal: Principal, results: dict[str, str], templates: Templates
) -> list[QuotaPublic]:
    """What ``wx.requestSubscribeMessage`` answered on the phone; unknown template ids are not
    ours and change nothing."""
    person = await bound_person(session, principal, to="订阅消息")
    assert person.id is not None
    for template_id, status in sorted(results.items()):
        offer = _by_template(templates, template_id)
        if offer is not None:
            await _report(
                session, person_id=person.id, offer=offer, source=GrantSource.phone, status=status
            )
    return await quotas(session, person.id, templates)


async def pushed(
    session: AsyncSession, events: list[SubscribeEvent], *, templates: Templates
) -> None:
    """WeChat's own word on the user's choices and on messages sent."""
    for event in events:
        if event.event == "subscribe_msg_sent_event":
            await _sent(session, event)
            continue
        offer = _by_template(templates, event.template_id)
        person_id = (
            await session.exec(
                select(UserAccount.person_id).where(col(UserAccount.openid) == event.openid)
            )
        ).first()
        if offer is None or person_id is None:
            continue
        if event.event == "subscribe_msg_popup_event":
            await _report(
                session,
                person_id=person_id,
                offer=offer,
                source=GrantSource.push,
                status=event.status,
                push_key=f"{event.sent_at}:{event.status}"[:64] if event.sent_at else None,
            )
        else:  # changed later in the user's settings: what stands now
            quota = await quota_row(session, person_id, offer.kind)
            if offer.template.long_term:
                quota.long_term = event.status == "accept"
            if event.status != "accept":
                quota.remaining = 0
            quota.updated_at = utcnow()
            session.add(quota)
            await session.flush()


async def _sent(session: AsyncSession, event: SubscribeEvent) -> None:
    if not event.msgid or event.errcode == 0:
        return
    row = (
        await session.exec(select(Notification).where(col(Notification.msgid) == event.msgid))
    ).first()
    if row is not None and row.wechat is WechatState.sent:
        row.wechat = WechatState.failed
        row.wechat_detail = f"{event.errcode} {event.status}"[:200]
        session.add(row)
        await session.flush()


async def settings_of(session: AsyncSession, person_id: int) -> dict[str, bool]:
    off = {
        s.kind
        for s in (
            await session.exec(
                select(NotificationSetting).where(
                    col(NotificationSetting.person_id) == person_id,
                    col(NotificationSetting.wechat).is_(False),
                )
            )
        ).all()
    }
    return {kind.value: kind not in off for kind in NotificationKind}


async def change_settings(
    session: AsyncSession, *, principal: Principal, wanted: dict[NotificationKind, bool]
) -> dict[str, bool]:
    """Turns a kind's WeChat messages on or off; the inbox keeps receiving them either way."""
    person = await bound_person(session, principal, to="设置消息提醒")
    assert person.id is not None
    insert = upsert_insert(dialect_name(session))
    for kind, on in wanted.items():
        stmt: Any = (
            insert(NotificationSetting)
            .values(person_id=person.id, kind=kind, wechat=on)
            .on_conflict_do_update(index_elements=["person_id", "kind"], set_={"wechat": on})
        )
        await session.execute(stmt)
    return await settings_of(session, person.id)

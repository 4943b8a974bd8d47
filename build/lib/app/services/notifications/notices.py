"""通知公告: an admin's message to a town, a village or a branch (or only its Party members),
within their scope. Every recipient gets it in the inbox, and by WeChat where they allow it;
the admin sees how many each channel reached."""

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.base import id_of
from app.models.notifications import (
    Notice,
    NoticeCreate,
    NoticePublic,
    Notification,
    NotificationKind,
    Reach,
    WechatState,
)
from app.models.roster import Branch, Person, Town, Village
from app.services import audit
from app.services.identity import (
    Location,
    Principal,
    covers,
    covers_one_village,
    location_of,
    own_town,
    own_village,
)
from app.services.notifications.inbox import notify


class AudienceNotFound(NotFound):
    code = "notice.audience_not_found"
    detail = "找不到要通知的镇、村或党支部，或不在您的管辖范围内。"


class NoticeNotFound(NotFound):
    code = "notice.not_found"
    detail = "找不到该通知。"


async def _audience(session: AsyncSession, principal: Principal, data: NoticeCreate) -> Location:
    """Where the notice goes: the narrowest place named, else the caller's own village or
    town; always inside the caller's scope."""
    wanted = data.audience
    row: Branch | Village | Town | None
    if wanted.branch_id is not None:
        row = await session.get(Branch, wanted.branch_id)
    elif wanted.village_id is not None:
        row = await session.get(Village, wanted.village_id)
    elif wanted.town_id is not None:
        row = await session.get(Town, wanted.town_id)
    elif covers_one_village(principal):
        row = await session.get(Village, own_village(principal))
    else:
        row = await session.get(Town, own_town(principal))
    if row is None or not covers(principal, location_of(row)):
        raise AudienceNotFound()
    return location_of(row)


async def send_notice(
    session: AsyncSession, *, principal: Principal, data: NoticeCreate
) -> NoticePublic:
    where = await _audience(session, principal, data)
    assert where.town_id is not None
    stmt: Any = select(Person.id).where(col(Person.town_id) == where.town_id)
    if where.village_id is not None:
        stmt = stmt.where(col(Person.village_id) == where.village_id)
    if where.branch_id is not None:
        stmt = stmt.where(col(Person.branch_id) == where.branch_id)
    if data.party_members_only:
        stmt = stmt.where(col(Person.is_party_member).is_(True))
    people = list((await session.exec(stmt)).all())
    notice = Notice(
        town_id=where.town_id,
        village_id=where.village_id,
        branch_id=where.branch_id,
        title=data.title,
        body=data.body,
        party_members_only=data.party_members_only,
        author_person_id=principal.person_id,
        recipients=len(people),
    )
    await audit.record_created(
        session, actor=principal, row=notice, target_type="notice", where=where
    )
    await notify(
        session,
        people=people,
        kind=NotificationKind.notice,
        target=("notice", id_of(notice)),
        title=data.title,
        body=data.body,
        values={"time": notice.created_at, "note": data.body},
    )
    return await present(session, notice)


async def present(session: AsyncSession, notice: Notice) -> NoticePublic:
    counts = dict(
        (
            await session.exec(
                select(Notification.wechat, func.count())
                .where(
                    col(Notification.kind) == NotificationKind.notice,
                    col(Notification.target_type) == "notice",
                    col(Notification.target_id) == str(notice.id),
                )
                .group_by(col(Notification.wechat))
            )
        ).all()
    )
    reach = Reach(
        inbox=sum(counts.values()),
        **{state.value: int(counts.get(state, 0)) for state in WechatState},
    )
    return NoticePublic.model_validate({**notice.model_dump(), "reach": reach})


async def notice_in_scope(
    session: AsyncSession, *, principal: Principal, notice_id: int
) -> NoticePublic:
    notice = await session.get(Notice, notice_id)
    if notice is None or not covers(
        principal,
        Location(town_id=notice.town_id, village_id=notice.village_id, branch_id=notice.branch_id),
    ):
        raise NoticeNotFound()
    return await present(session, notice)

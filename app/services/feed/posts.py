"""Posts: who may publish what, with which photos, when it appears, and its review."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.base import id_of
from app.models.feed import (
    DISCLOSURES,
    Category,
    Post,
    PostCreate,
    PostMedia,
    PostPublic,
    PostStatus,
    ReviewDecision,
)
from app.models.media import NEEDS_HUMAN, Media, Moderation
from app.models.notifications import NotificationKind
from app.models.roster import Branch, Town, Village
from app.services import audit
from app.services.feed import content_safety
from app.services.identity import Location, NotBound, Principal, bound_person, covers, location_of
from app.services.kit import Storage, WechatGateway, address, personal_data
from app.services.notifications import notify
from app.services.roster import VillageNotFound


class AlreadyReviewed(Conflict):
    code = "post.already_reviewed"
    detail = "该信息已经审核过。"


class DisclosureAdminOnly(Forbidden):
    code = "post.disclosure_admin_only"
    detail = "只有村（镇）管理员可以发布公开信息。"


class DisclosurePeriod(Unprocessable):
    code = "post.disclosure_period"
    detail = "公开类信息须填写公开月份 disclosure_period（YYYY-MM），其他信息不填。"


class DisclosureVillage(Unprocessable):
    code = "post.disclosure_village"
    detail = "公开信息须属于一个村。"


class MediaInvalid(Unprocessable):
    code = "post.media_invalid"
    detail = "只能使用自己上传的照片。"


class PersonalData(Unprocessable):
    code = "post.personal_data"
    detail = "内容含有…，为保护村民隐私不能公开发布；可以删去，或选择打码后发布。"


class PostNotFound(NotFound):
    code = "post.not_found"
    detail = "找不到该信息。"


class ContentRisky(Unprocessable):
    code = "post.content_risky"
    detail = "内容未通过微信内容安全检测，请修改后再发布。"


class MediaRisky(Unprocessable):
    code = "post.media_risky"
    detail = "有照片未通过微信内容安全检测，请换一张。"


async def create_post(
    session: AsyncSession,
    *,
    principal: Principal,
    wechat: WechatGateway,
    data: PostCreate,
    branch_id: int | None = None,
    draft: bool = False,
    on_behalf: Location | None = None,
) -> Post:
    """``branch_id``: the post is a branch's own (its member-development notice), so that
    branch's admins publish it as admins of the village do. A ``draft`` (a disclosure the system
    wrote) waits in the review queue for an admin to read and publish it. ``on_behalf``: the
    organisation publishing (an honour, a contest's result): named as the publisher, with the
    account that did it kept as its author, and needing no roster person behind the account."""
    if on_behalf is not None:
        town_id, village_id, is_admin, publisher = await _organisation(
            session, principal, on_behalf, data.village_id
        )
    else:
        person = await bound_person(session, principal, to="发布信息")
        if person.town_id is None:
            raise NotBound("请先在村里登记，再发布信息。")
        town_id, publisher = person.town_id, None
        village_id = data.village_id if data.village_id is not None else person.village_id
        if village_id is not None:
            village = await session.get(Village, village_id)
            if village is None or village.town_id != person.town_id:
                raise VillageNotFound()
        target = Location(town_id=town_id, village_id=village_id)
        is_admin = covers(principal, target) or (
            branch_id is not None
            and covers(
                principal, Location(town_id=town_id, village_id=village_id, branch_id=branch_id)
            )
        )
        if not is_admin and village_id != person.village_id:
            # A villager reads only their own village's feed (and the town's): they post there.
            raise VillageNotFound()
    is_disclosure = data.category in DISCLOSURES
    if is_disclosure and not is_admin:
        raise DisclosureAdminOnly()
    if is_disclosure != (data.disclosure_period is not None):
        raise DisclosurePeriod()
    if is_disclosure and village_id is None:
        raise DisclosureVillage()
    title, body = personal_data.scan(data.title), personal_data.scan(data.body)
    kinds = tuple(dict.fromkeys(title.kinds + body.kinds))
    if kinds and not data.mask_personal_data:
        raise PersonalData(
            f"内容含有{'、'.join(kinds)}，为保护村民隐私不能公开发布；可以删去，或选择打码后发布。",
            extra={"kinds": list(kinds)},
        )
    photos = await _own_media(session, principal, data.media_ids)
    if any(m.moderation == Moderation.risky for m in photos):
        raise MediaRisky()
    verdict = await content_safety.check_text(
        session,
        wechat=wechat,
        account_id=principal.account_id,
        text=f"{title.masked}\n{body.masked}",
    )
    if verdict == Moderation.risky:
        raise ContentRisky()
    # WeChat's doubts, or a check that could not be made, go to a human even for an admin.
    doubtful = verdict.value in NEEDS_HUMAN or any(m.moderation in NEEDS_HUMAN for m in photos)
    publish = is_admin and not doubtful and not draft
    now = utcnow()
    post = Post(
        town_id=town_id,
        publisher=publisher,
        village_id=village_id,
        author_account_id=principal.account_id,
        author_person_id=principal.person_id,
        title=title.masked,
        body=body.masked,
        category=data.category,
        disclosure_period=data.disclosure_period,
        media_ids=list(data.media_ids),
        # An admin's own post in their scope goes out at once; everyone else's is reviewed.
        status=PostStatus.published if publish else PostStatus.pending_review,
        pin_rank=1 if data.pinned and is_admin else 0,
        publish_at=data.publish_at,
        published_at=_publish_time(now, data.publish_at) if publish else None,
    )
    session.add(post)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="post.create",
        target_type="post",
        target_id=id_of(post),
        where=location_of(post),
        after={"title": post.title, "status": post.status},
    )
    return post


async def _organisation(
    session: AsyncSession, principal: Principal, where: Location, village_id: int | None
) -> tuple[int, int | None, bool, str]:
    """The town or village publishing, which the caller must administer; its name."""
    assert where.town_id is not None
    village_id = village_id if village_id is not None else where.village_id
    place = Location(town_id=where.town_id, village_id=village_id, branch_id=where.branch_id)
    if not covers(principal, place):
        raise VillageNotFound()
    if where.branch_id is not None:
        branch = await session.get(Branch, where.branch_id)
        if branch is None or branch.town_id != where.town_id:
            raise VillageNotFound()
        return where.town_id, village_id, True, branch.name
    if village_id is not None:
        village = await session.get(Village, village_id)
        if village is None or village.town_id != where.town_id:
            raise VillageNotFound()
        return where.town_id, village_id, True, f"{village.name}村委会"[:100]
    town = await session.get(Town, where.town_id)
    return where.town_id, None, True, f"{town.name if town else ''}党委"[:100]


async def _own_media(
    session: AsyncSession, principal: Principal, media_ids: list[int]
) -> list[Media]:
    if not media_ids:
        return []
    rows = (await session.exec(select(Media).where(col(Media.id).in_(media_ids)))).all()
    mine = [m for m in rows if m.uploader_account_id == principal.account_id]
    if {m.id for m in mine} != set(media_ids):
        raise MediaInvalid()
    return mine


async def review(
    session: AsyncSession, *, principal: Principal, post_id: int, data: ReviewDecision
) -> Post:
    post = await session.get(Post, post_id, with_for_update=True)
    if post is None or not covers(principal, location_of(post)):
        raise PostNotFound()
    if post.status != PostStatus.pending_review:
        raise AlreadyReviewed()
    approve = data.decision == "approve"
    if approve and post.media_ids:
        risky = (
            await session.exec(
                select(Media.id).where(
                    col(Media.id).in_(post.media_ids),
                    col(Media.moderation) == Moderation.risky,
                )
            )
        ).first()
        if risky is not None:
            raise Conflict(MediaRisky.detail, code=MediaRisky.code)
    post.status = PostStatus.published if approve else PostStatus.rejected
    post.published_at = _publish_time(utcnow(), post.publish_at) if approve else None
    post.review_reason = data.reason
    post.reviewed_by_person_id = principal.person_id
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action=f"post.{post.status}",
        target_type="post",
        target_id=post_id,
        where=location_of(post),
        after={"status": post.status, "reason": data.reason},
    )
    if post.author_person_id is not None:
        verdict = "已发布" if approve else "未通过"
        await notify(
            session,
            people=[post.author_person_id],
            kind=NotificationKind.post_reviewed,
            target=("post", post_id),
            title=f"投稿{verdict}",
            body=f"“{post.title}”{verdict}" + (f"：{data.reason}" if data.reason else "。"),
            values={"name": post.title, "status": verdict, "note": data.reason or post.title},
        )
    return post


def _publish_time(now: datetime, asked: datetime | None) -> datetime:
    """Now, or the later time the author asked for (a scheduled post)."""
    return max(now, asked) if asked is not None else now


async def present(session: AsyncSession, posts: list[Post], storage: Storage) -> list[PostPublic]:
    ids = {m for p in posts for m in p.media_ids}
    media = (
        {m.id: m for m in (await session.exec(select(Media).where(col(Media.id).in_(ids)))).all()}
        if ids
        else {}
    )
    answers = []
    for post in posts:
        shown = [
            PostMedia(
                id=m,
                url=address(storage, media[m].display_key),
                thumb_url=address(storage, media[m].thumb_key),
                moderation=media[m].moderation,
            )
            for m in post.media_ids
            if m in media and media[m].moderation != Moderation.risky
        ]
        answers.append(
            PostPublic(
                id=id_of(post),
                town_id=post.town_id,
                village_id=post.village_id,
                title=post.title,
                body=post.body,
                category=Category(post.category),
                disclosure_period=post.disclosure_period,
                status=PostStatus(post.status),
                publisher=post.publisher,
                pinned=bool(post.pin_rank),
                like_count=post.like_count,
                view_count=post.view_count,
                media=shown,
                published_at=post.published_at,
                created_at=post.created_at,
            )
        )
    return answers

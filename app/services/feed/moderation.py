"""WeChat's verdict on a photo reaches the posts that carry it: a risky photo takes them down,
a doubtful one sends them back to review."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.feed import (
    Post,
    PostStatus,
)
from app.models.media import Media, Moderation
from app.services import audit
from app.services.feed.posts import where

BLOCKED_REASON = "照片未通过微信内容安全检测，已自动下架。"


async def apply_media_verdict(session: AsyncSession, media: Media) -> list[int]:
    """A risky photo takes every post carrying it down; a doubtful one sends published posts
    back to the review queue. Returns the ids of the posts changed."""
    if media.moderation not in (Moderation.risky.value, Moderation.review.value):
        return []
    # Posts carry only their author's photos, so the author's posts are the candidates.
    candidates = (
        await session.exec(
            select(Post)
            .where(
                col(Post.author_account_id) == media.uploader_account_id,
                col(Post.status) != PostStatus.rejected.value,
            )
            .with_for_update()
        )
    ).all()
    changed = []
    for post in candidates:
        if media.id not in post.media_ids:
            continue
        before = post.status
        if media.moderation == Moderation.risky.value:
            post.status = PostStatus.rejected.value
            post.review_reason = BLOCKED_REASON
        elif post.status == PostStatus.published.value:
            post.status = PostStatus.pending_review.value
        else:
            continue
        post.published_at = None
        changed.append(post.id or 0)
        await audit.record(
            session,
            actor=None,
            action="post.moderated",
            target_type="post",
            target_id=post.id or 0,
            where=where(post),
            before={"status": before},
            after={"status": post.status, "media_id": media.id, "label": media.moderation_label},
        )
    await session.flush()
    return changed

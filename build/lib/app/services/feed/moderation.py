"""WeChat's verdict on a photo reaches the posts that carry it: a risky photo takes them down,
a doubtful one sends them back to review."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.feed import (
    Post,
    PostStatus,
)
from app.models.media import Media, Moderation
from app.services import audit
from app.services.identity import location_of

BLOCKED_REASON = "照片未通过微信内容安全检测，已自动下架。"


async def apply_media_verdict(session: AsyncSession, media: Media) -> list[int]:
    """A risky photo takes every post carrying it down; a doubtful one sends published posts
    back to the review queue. Returns the ids of the posts changed."""
    if media.moderation not in (Moderation.risky, Moderation.review):
        return []
    # Posts carry only their author's photos, so the author's posts are the candidates.
    candidates = (
        await session.exec(
            select(Post)
            .where(
                col(Post.author_account_id) == media.uploader_account_id,
                col(Post.status) != PostStatus.rejected,
            )
            .with_for_update()
        )
    ).all()
    changed = []
    for post in candidates:
        if media.id not in post.media_ids:
            continue
        risky = media.moderation == Moderation.risky
        if not risky and post.status != PostStatus.published:
            continue  # a doubtful photo sends back only what is already out
        async with audit.change(
            session,
            actor=None,
            row=post,
            action="post.moderated",
            target_type="post",
            where=location_of,
            picture=_status_picture,
        ) as change:
            if risky:
                post.status = PostStatus.rejected
                post.review_reason = BLOCKED_REASON
            else:
                post.status = PostStatus.pending_review
            post.published_at = None
            change.extra = {"media_id": media.id, "label": media.moderation_label}
        assert post.id is not None
        changed.append(post.id)
    await session.flush()
    return changed


def _status_picture(post: Post) -> dict[str, Any]:
    return {"status": post.status}

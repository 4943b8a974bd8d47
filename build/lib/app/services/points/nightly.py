"""The night's signing: shortly after midnight China time each town's head is signed, and the
day's head goes on the town's feed as one short line (the size, the root's first 16 hex digits
and where to check it), so a villager who keeps a screenshot holds a witness of it."""

import logging
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.auth import UserAccount
from app.models.feed import Category, Post, PostStatus
from app.models.points import TreeHead
from app.models.roster import Role, Town
from app.services.identity import Location, acting_for
from app.services.points import ledger_check, roots

log = logging.getLogger("xiangzhi.ledger")


async def _publisher(session: AsyncSession, town_id: int) -> int | None:
    """An account of the town's admins, recorded as the one who posted the line."""
    admins = await acting_for(session, Location(town_id=town_id), [Role.town_admin])
    if not admins:
        return None
    found = await session.exec(
        select(UserAccount.id).where(col(UserAccount.person_id).in_(admins)).limit(1)
    )
    return found.first()


async def announce(session: AsyncSession, head: TreeHead, base_url: str | None) -> Post | None:
    town = await session.get(Town, head.town_id)
    author = await _publisher(session, head.town_id)
    if town is None or author is None:
        log.warning(
            "town %s head %s not announced: no town admin to post it", head.town_id, head.tree_size
        )
        return None
    path = f"/api/v1/points/roots/latest?town_id={head.town_id}"
    when = to_china(head.issued_at)
    post = Post(
        town_id=head.town_id,
        author_account_id=author,
        publisher=f"{town.name}党委"[:100],
        title=f"{when:%Y年%m月%d日}积分账本签名"[:100],
        body=(
            f"截至今日，全镇积分账本共 {head.tree_size} 条记录，树根 {head.root_hash[:16]}。"
            f"任何人都可核验：{(base_url or '').rstrip('/')}{path}"
        ),
        category=Category.news,
        status=PostStatus.published,
        published_at=head.issued_at,
    )
    session.add(post)
    await session.flush()
    head.post_id = post.id
    return post


async def sign_all(
    session: AsyncSession, *, now: datetime, keys: roots.Keys, base_url: str | None
) -> int:
    """Every town whose last head is from before today gets today's; returns how many."""
    today = to_china(now).date()
    towns = await session.exec(select(Town.id).order_by(col(Town.id)))
    signed = 0
    for town_id in towns.all():
        assert town_id is not None
        last = await roots.latest(session, town_id)
        if last is not None and to_china(last.issued_at).date() >= today:
            continue
        head, new = await roots.sign_head(session, town_id=town_id, keys=keys)
        if new:
            await announce(session, head, base_url)
            signed += 1
        # The night's check, for the supervision committees to read in the morning.
        found = await ledger_check.record(session, town_id=town_id, keys=keys)
        if not found.ok:
            log.error(
                "town %s ledger check failed: %s (entry %s)",
                town_id,
                found.problem,
                found.first_bad_entry_id,
            )
    return signed

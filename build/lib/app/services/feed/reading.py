"""Reading the feed: what each person may see, one post with its view counted, likes, and the
batched write of view counts gathered in Redis."""

from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cache import Cache
from app.china_time import utcnow
from app.db import dialect_name, upsert_insert
from app.models.common import ListPage
from app.models.feed import (
    Category,
    Post,
    PostLike,
    PostPublic,
    PostStatus,
)
from app.services.feed import first_page_cache
from app.services.feed.posts import PostNotFound, present
from app.services.identity import Principal, caller_person, scope_clause, scope_towns
from app.services.kit import Page, Storage, keyset_page


def views_key(post_id: int) -> str:
    return f"post:views:{post_id}"


async def _readable(session: AsyncSession, principal: Principal) -> Any:
    """Published posts of my town (town-wide or my village), or anything an admin covers."""
    person = await caller_person(session, principal)
    mine: Any = col(Post.id).is_(None)
    if person is not None and person.town_id is not None:
        mine = and_(
            col(Post.town_id) == person.town_id,
            or_(col(Post.village_id).is_(None), col(Post.village_id) == person.village_id),
        )
    readable = and_(
        col(Post.status) == PostStatus.published,
        col(Post.published_at) <= utcnow(),  # scheduled posts wait for their time
        or_(mine, scope_clause(principal, Post)),
    )
    towns = scope_towns(principal)
    if towns is None:
        return readable
    if person is not None and person.town_id is not None:
        towns.add(person.town_id)
    # Implied by the clause above, but stated so the feed index (town first) can be used.
    return and_(col(Post.town_id).in_(sorted(towns)), readable)


async def feed(
    session: AsyncSession,
    *,
    principal: Principal,
    category: Category | None,
    village_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[Post]:
    stmt: Any = select(Post).where(await _readable(session, principal))
    if category is not None:
        stmt = stmt.where(col(Post.category) == category)
    if village_id is not None:
        stmt = stmt.where(col(Post.village_id) == village_id)
    return await keyset_page(
        session,
        stmt,
        order_by=[Post.pin_rank, Post.published_at, Post.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )


async def _home(session: AsyncSession, principal: Principal) -> tuple[int | None, int | None]:
    """The caller's town and village: from the principal when it carries them (no query)."""
    if principal.home is not None:
        return principal.home.town_id, principal.home.village_id
    person = await caller_person(session, principal)
    return (person.town_id, person.village_id) if person is not None else (None, None)


_FEED_PAGE: TypeAdapter[ListPage[PostPublic]] = TypeAdapter(ListPage[PostPublic])


async def first_page_json(
    session: AsyncSession,
    *,
    cache: Cache,
    storage: Storage,
    principal: Principal,
    category: Category | None,
    village_id: int | None,
    limit: int,
) -> bytes:
    """The feed's first page as the answer's JSON, cached a few seconds for everyone who sees the
    same page (see ``first_page_cache``)."""
    home = await _home(session, principal)
    spot = first_page_cache.slot(
        principal=principal, home=home, category=category, village_id=village_id, limit=limit
    )
    version, body = await first_page_cache.read(cache, spot)
    if body is not None:
        return body
    page = await feed(
        session,
        principal=principal,
        category=category,
        village_id=village_id,
        limit=limit,
        cursor=None,
    )
    items = await present(session, page.items, storage)
    body = _FEED_PAGE.dump_json(ListPage[PostPublic](items=items, next_cursor=page.next_cursor))
    await first_page_cache.write(cache, spot, version, body)
    return body


async def review_queue(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[Post]:
    stmt = review_query(principal=principal)
    return await keyset_page(session, stmt, order_by=[Post.id], limit=limit, cursor=cursor)


def review_query(*, principal: Principal) -> Any:
    """Posts waiting for this admin's review: the list and the dashboard's count."""
    return select(Post).where(
        col(Post.status) == PostStatus.pending_review, scope_clause(principal, Post)
    )


async def read(session: AsyncSession, *, principal: Principal, cache: Cache, post_id: int) -> Post:
    post = (
        await session.exec(
            select(Post).where(col(Post.id) == post_id, await _readable(session, principal))
        )
    ).first()
    if post is None:
        raise PostNotFound()
    # Counted in Redis and written to the database in batches, not once per read.
    pending = await cache.incr(views_key(post_id))
    post.view_count += int(pending)
    session.expunge(post)  # the added views are for this answer only
    return post


async def set_like(
    session: AsyncSession, *, principal: Principal, post_id: int, liked: bool
) -> tuple[int, bool]:
    post = (
        await session.exec(
            select(Post).where(col(Post.id) == post_id, await _readable(session, principal))
        )
    ).first()
    if post is None:
        raise PostNotFound()
    if liked:
        insert = upsert_insert(dialect_name(session))
        result = await session.execute(
            insert(PostLike)
            .values(post_id=post_id, account_id=principal.account_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["post_id", "account_id"])
        )
        delta = result.rowcount  # type: ignore[attr-defined]
    else:
        result = await session.execute(
            PostLike.__table__.delete().where(  # type: ignore[attr-defined]
                PostLike.__table__.c.post_id == post_id,  # type: ignore[attr-defined]
                PostLike.__table__.c.account_id == principal.account_id,  # type: ignore[attr-defined]
            )
        )
        delta = -result.rowcount  # type: ignore[attr-defined]
    if delta:
        await session.execute(
            update(Post).where(col(Post.id) == post_id).values(like_count=Post.like_count + delta)
        )
    count = (await session.exec(select(Post.like_count).where(col(Post.id) == post_id))).one()
    return count, liked


async def flush_views(session: AsyncSession, *, cache: Cache) -> int:
    """Moves the view counts gathered in Redis into the posts table."""
    moved = 0
    async for key in cache.scan_iter(match="post:views:*", count=500):
        count = int(await cache.getdel(key) or 0)
        if count:
            post_id = int(str(key).rsplit(":", 1)[1])
            await session.execute(
                update(Post)
                .where(col(Post.id) == post_id)
                .values(view_count=Post.view_count + count)
            )
            moved += count
    return moved

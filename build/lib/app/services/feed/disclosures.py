"""The six monthly disclosures (六大公开): which village has published which, per period."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.models.base import id_of
from app.models.feed import (
    DISCLOSURES,
    DisclosureCompliance,
    DisclosureItem,
    Post,
    PostStatus,
)
from app.models.roster import Village
from app.services.identity import Principal, scope_clause


async def disclosure_compliance(
    session: AsyncSession, *, principal: Principal, period: str
) -> DisclosureCompliance:
    villages = (
        await session.exec(
            select(Village).where(scope_clause(principal, Village)).order_by(col(Village.id))
        )
    ).all()
    published = (
        await session.exec(
            select(Post.village_id, Post.category).where(
                col(Post.status) == PostStatus.published,
                col(Post.published_at) <= utcnow(),
                col(Post.disclosure_period) == period,
                col(Post.village_id).in_([v.id for v in villages]),
            )
        )
    ).all()
    done: dict[int, set[str]] = {}
    for village_id, category in published:
        if village_id is not None:  # the query asked for these villages only
            done.setdefault(village_id, set()).add(category)
    items = []
    for village in villages:
        have = done.get(id_of(village), set())
        items.append(
            DisclosureItem(
                village_id=id_of(village),
                village_name=village.name,
                published=[c for c in DISCLOSURES if c.value in have],
                missing=[c for c in DISCLOSURES if c.value not in have],
            )
        )
    return DisclosureCompliance(period=period, items=items)

"""The on-site scores of the caller's scope as an admin reviews them: who scored which
household by which rule, the points, the photos taken as evidence, and whether a photo was
seen before."""

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.grid import GridScore
from app.models.media import Media
from app.models.points import LedgerEntry
from app.models.roster import Household
from app.services.identity import Principal, scope_clause
from app.services.kit import Storage, address


@dataclass(frozen=True, slots=True)
class ScoreLine:
    score: GridScore
    household: str
    status: str
    photos: list[tuple[str, str]]  # (display url, thumbnail url)


async def recent_scores(
    session: AsyncSession, *, principal: Principal, storage: Storage, limit: int = 50
) -> list[ScoreLine]:
    scores = list(
        (
            await session.exec(
                select(GridScore)
                .where(scope_clause(principal, GridScore))
                .order_by(col(GridScore.id).desc())
                .limit(limit)
            )
        ).all()
    )
    if not scores:
        return []
    entries = {
        e.id: e
        for e in (
            await session.exec(
                select(LedgerEntry).where(col(LedgerEntry.id).in_([s.entry_id for s in scores]))
            )
        ).all()
    }
    homes = {
        h.id: h.head_name
        for h in (
            await session.exec(
                select(Household).where(col(Household.id).in_([s.household_id for s in scores]))
            )
        ).all()
    }
    wanted = {i for e in entries.values() for i in e.media_ids}
    photos = (
        {
            m.id: m
            for m in (await session.exec(select(Media).where(col(Media.id).in_(wanted)))).all()
        }
        if wanted
        else {}
    )
    lines = []
    for score in scores:
        entry = entries.get(score.entry_id)
        shown = [photos[i] for i in (entry.media_ids if entry else []) if i in photos]
        lines.append(
            ScoreLine(
                score=score,
                household=homes.get(score.household_id, ""),
                status=str(entry.status) if entry else "",
                photos=[
                    (address(storage, m.display_key), address(storage, m.thumb_key)) for m in shown
                ],
            )
        )
    return lines

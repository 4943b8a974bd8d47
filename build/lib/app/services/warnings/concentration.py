"""Discretionary points gathered on a few households: for each village, the share of a closed
month's awards and on-site scores that went to its top 5 % of households, against the town's
median village. A village above the median by more than the town's margin is flagged, with its
top households and their entries as evidence. Each town's month is looked at once."""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import china_today, parse_period, utcnow
from app.db import rows
from app.models.base import id_of
from app.models.flags import TOP_SHARE, FlagKind, FlagScan
from app.models.points import EntryStatus, Ledger, LedgerEntry, PointsAccount
from app.models.roster import Household, Town, Village
from app.services.warnings.flags import DISCRETIONARY, raise_flag

# Entries named as evidence per flagged village: enough to check in a minute.
EVIDENCE_ENTRIES = 20


@dataclass(frozen=True, slots=True)
class VillageShare:
    village_id: int
    households: int
    top: list[int]  # the top households, most points first
    share: float  # of the village's discretionary points, to its top households


def _previous(day: date) -> str:
    return f"{day.year - 1}-12" if day.month == 1 else f"{day.year}-{day.month - 1:02d}"


async def shares(session: AsyncSession, town_id: int, period: str) -> list[VillageShare]:
    """Each village of the town with discretionary household points that month."""
    start, end = parse_period(period)
    given = await session.exec(
        select(LedgerEntry.village_id, PointsAccount.owner_id, func.sum(LedgerEntry.points))
        .join(PointsAccount, col(PointsAccount.id) == col(LedgerEntry.account_id))
        .where(
            col(LedgerEntry.town_id) == town_id,
            col(PointsAccount.ledger) == Ledger.household,
            col(LedgerEntry.status) == EntryStatus.posted,
            col(LedgerEntry.source_type).in_(DISCRETIONARY),
            col(LedgerEntry.points) > 0,
            col(LedgerEntry.posted_at) >= start,
            col(LedgerEntry.posted_at) < end,
        )
        .group_by(col(LedgerEntry.village_id), col(PointsAccount.owner_id))
    )
    by_village: dict[int, dict[int, int]] = defaultdict(dict)
    for village_id, household_id, total in given.all():
        if village_id is not None:
            by_village[village_id][household_id] = int(total)
    counts = dict(
        (
            await session.exec(
                select(Household.village_id, func.count())
                .where(col(Household.town_id) == town_id)
                .group_by(col(Household.village_id))
            )
        ).all()
    )
    found = []
    for village_id, points in sorted(by_village.items()):
        households = max(int(counts.get(village_id, 0)), len(points))
        ranked = sorted(points, key=lambda h: (-points[h], h))
        top = ranked[: max(1, math.ceil(households * TOP_SHARE))]
        share = sum(points[h] for h in top) / sum(points.values())
        found.append(VillageShare(village_id, households, top, round(share, 4)))
    return found


async def scan(session: AsyncSession, town: Town, period: str) -> int:
    """Flags raised for the town's month."""
    found = await shares(session, id_of(town), period)
    if len(found) < 2:
        return 0  # one village is its own median: nothing to compare it with
    median = statistics.median(v.share for v in found)
    start, end = parse_period(period)
    raised = 0
    for village in found:
        if round(village.share - median, 4) <= town.concentration_margin:
            continue
        entries = (
            await session.exec(
                select(LedgerEntry.id)
                .join(PointsAccount, col(PointsAccount.id) == col(LedgerEntry.account_id))
                .where(
                    col(PointsAccount.ledger) == Ledger.household,
                    col(PointsAccount.owner_id).in_(village.top),
                    col(LedgerEntry.status) == EntryStatus.posted,
                    col(LedgerEntry.source_type).in_(DISCRETIONARY),
                    col(LedgerEntry.points) > 0,
                    col(LedgerEntry.posted_at) >= start,
                    col(LedgerEntry.posted_at) < end,
                )
                .order_by(col(LedgerEntry.id))
                .limit(EVIDENCE_ENTRIES)
            )
        ).all()
        place = await session.get(Village, village.village_id)
        raised += await raise_flag(
            session,
            kind=FlagKind.concentration,
            cause=f"{village.village_id}:{period}",
            town_id=id_of(town),
            village_id=village.village_id,
            subject=f"{place.name if place else ''}{period}：前 {len(village.top)} 户"
            f"（全村 {village.households} 户的 5%）得了记分和现场打分的 {village.share:.0%}，"
            f"全镇各村的中位数是 {median:.0%}",
            evidence=[
                *({"type": "household", "id": h} for h in village.top),
                *({"type": "ledger_entry", "id": e} for e in entries),
            ],
        )
    return raised


async def scan_last_month(session: AsyncSession, *, today: date | None = None) -> int:
    """The job: each town's month just closed, once. A town already looked at costs nothing
    but the one read of who was."""
    period = _previous(today or china_today())
    seen = set(
        (await session.exec(select(FlagScan.town_id).where(col(FlagScan.period) == period))).all()
    )
    raised = 0
    for town in (await session.exec(select(Town).order_by(col(Town.id)))).all():
        if town.id in seen:
            continue
        claimed = await rows.insert_values(
            session,
            FlagScan,
            {"town_id": id_of(town), "period": period, "created_at": utcnow()},
            skip_conflict=True,
        )
        if claimed is not None:  # another worker has it otherwise
            raised += await scan(session, town, period)
    return raised

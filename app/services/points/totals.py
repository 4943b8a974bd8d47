"""What an account has earned per period (all time, year, month in China time), kept beside the
ledger at posting time, and the room a rule's daily, monthly and yearly caps still leave."""

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import day_bounds, month_bounds, to_china, year_bounds
from app.db import dialect_name, upsert_insert
from app.models.points import EntryStatus, LedgerEntry, PointsAccount, PointsTotal, ScoringRule


async def cap_room(
    session: AsyncSession, account_id: int, rule: ScoringRule, now: datetime
) -> int | None:
    """How many points the rule's caps still allow on this account now (None: no cap)."""
    room: int | None = None
    for cap, bounds in (
        (rule.daily_cap, day_bounds),
        (rule.monthly_cap, month_bounds),
        (rule.yearly_cap, year_bounds),
    ):
        if cap is None:
            continue
        start, end = bounds(now)
        used = (
            await session.execute(
                select(func.coalesce(func.sum(func.abs(LedgerEntry.points)), 0)).where(
                    col(LedgerEntry.account_id) == account_id,
                    col(LedgerEntry.rule_code) == rule.code,
                    col(LedgerEntry.status).in_([EntryStatus.pending, EntryStatus.posted]),
                    col(LedgerEntry.created_at) >= start,
                    col(LedgerEntry.created_at) < end,
                )
            )
        ).scalar_one()
        left = max(0, cap - int(used))
        room = left if room is None else min(room, left)
    return room


def periods(moment: datetime) -> tuple[str, str, str]:
    local = to_china(moment)
    return "all", f"Y{local.year}", f"M{local.year}-{local.month:02d}"


_TOTALS_UPSERT: dict[str, Any] = {}


def _totals_upsert(dialect: str) -> Any:
    """Built once per dialect: posting is the hot path, and building an upsert costs more than
    running it."""
    if dialect not in _TOTALS_UPSERT:
        insert = upsert_insert(dialect)
        stmt = insert(PointsTotal).values(
            account_id=bindparam("account_id"),
            ledger=bindparam("ledger"),
            period=bindparam("period"),
            town_id=bindparam("town_id"),
            village_id=bindparam("village_id"),
            earned=bindparam("earned"),
        )
        _TOTALS_UPSERT[dialect] = stmt.on_conflict_do_update(
            index_elements=["account_id", "period"],
            set_={"earned": PointsTotal.earned + stmt.excluded.earned},
        )
    return _TOTALS_UPSERT[dialect]


async def add_earned(
    session: AsyncSession, account: PointsAccount, points: int, moment: datetime
) -> None:
    dialect = dialect_name(session)
    rows = [
        {
            "account_id": account.id,
            "ledger": account.ledger,
            "period": period,
            "town_id": account.town_id,
            "village_id": account.village_id,
            "earned": points,
        }
        for period in periods(moment)
    ]
    await session.execute(_totals_upsert(dialect), rows)

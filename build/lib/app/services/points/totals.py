"""What an account has earned per period (all time, year, month in China time), kept beside the
ledger at posting time, and the room a rule's daily, monthly and yearly caps still leave."""

from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.china_time import day_bounds, month_bounds, to_china, year_bounds
from app.db import upsert_insert
from app.models.points import EntryStatus, Ledger, LedgerEntry, PointsTotal, ScoringRule

_ENTRIES = cast(Table, LedgerEntry.__table__)  # type: ignore[attr-defined]


def _used_in(start: Any, end: Any) -> Any:
    created = _ENTRIES.c.created_at
    in_period = and_(created >= bindparam(start), created < bindparam(end))
    return func.coalesce(func.sum(case((in_period, func.abs(_ENTRIES.c.points)), else_=0)), 0)


# The day's, month's and year's use of one rule in one statement; the index on (account,
# rule, created_at) keeps it to the entries of this year.
_CAPS_USED = select(
    _used_in("day_start", "day_end"),
    _used_in("month_start", "month_end"),
    _used_in("year_start", "year_end"),
).where(
    _ENTRIES.c.account_id == bindparam("account_id"),
    _ENTRIES.c.rule_code == bindparam("rule_code"),
    _ENTRIES.c.status.in_([EntryStatus.pending, EntryStatus.posted]),
    _ENTRIES.c.created_at >= bindparam("year_start"),
    _ENTRIES.c.created_at < bindparam("year_end"),
)


async def cap_room(
    conn: AsyncConnection, account_id: int, rule: ScoringRule, now: datetime
) -> int | None:
    """How many points the rule's caps still allow on this account now (None: no cap)."""
    caps = (rule.daily_cap, rule.monthly_cap, rule.yearly_cap)
    if all(cap is None for cap in caps):
        return None
    params: dict[str, Any] = {"account_id": account_id, "rule_code": rule.code}
    for name, bounds in (("day", day_bounds), ("month", month_bounds), ("year", year_bounds)):
        params[f"{name}_start"], params[f"{name}_end"] = bounds(now)
    used = (await conn.execute(_CAPS_USED, params)).one()
    return min(max(0, cap - int(spent)) for cap, spent in zip(caps, used, strict=True) if cap)


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


class _Book(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def ledger(self) -> Ledger: ...
    @property
    def town_id(self) -> int | None: ...
    @property
    def village_id(self) -> int | None: ...


def earned_rows(account: _Book, points: int, moment: datetime) -> list[dict[str, Any]]:
    """The account's three period totals that ``points`` earned at ``moment`` add to."""
    return [
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


async def add_earned(conn: AsyncConnection, account: _Book, points: int, moment: datetime) -> None:
    await add_earned_rows(conn, earned_rows(account, points, moment))


async def add_earned_rows(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Adds each row's ``earned`` to its (account, period) total, opening it on first use."""
    if rows:
        await conn.execute(_totals_upsert(conn.dialect.name), rows)

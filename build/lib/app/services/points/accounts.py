"""The ledger's hot statements, built once: an account found and locked in one trip, its new
head, and on PostgreSQL one posting's writes sent together.

Every posting locks its account row first (``FOR UPDATE``); on PostgreSQL the same statement
draws the entry's id from its sequence, so the entry, the account's new head, the period
totals and the audit entry can go in one statement (data-modifying CTEs) instead of four.
SQLite has no such CTEs and writes them one by one (its writers queue on one lock anyway).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Integer, Table, any_, bindparam, func, literal_column, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import rows, upsert_insert
from app.models.audit import AuditEntry
from app.models.points import Ledger, LedgerEntry, OwnerType, PointsAccount, PointsTotal
from app.services.points import totals


@dataclass(slots=True)
class Account:
    """An account row as locked for one posting (plain values: no ORM instance to flush)."""

    id: int
    ledger: Ledger
    owner_type: OwnerType
    owner_id: int
    town_id: int | None
    village_id: int | None
    balance: int
    entry_count: int
    head_hash: str | None


class Whose(Protocol):
    """Whose account: a person or a household, and where they belong."""

    @property
    def type(self) -> OwnerType: ...
    @property
    def id(self) -> int: ...
    @property
    def town_id(self) -> int | None: ...
    @property
    def village_id(self) -> int | None: ...


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


_ACCOUNTS, _ENTRIES = _table(PointsAccount), _table(LedgerEntry)
_TOTALS, _AUDIT = _table(PointsTotal), _table(AuditEntry)
_COLUMNS = [_ACCOUNTS.c[name] for name in Account.__slots__]
_NEXT_ENTRY_ID = func.nextval(func.pg_get_serial_sequence("ledger_entries", "id"))
_BY_OWNER = (
    _ACCOUNTS.c.ledger == bindparam("ledger"),
    _ACCOUNTS.c.owner_type == bindparam("owner_type"),
    _ACCOUNTS.c.owner_id == bindparam("owner_id"),
)
_BY_ID = (_ACCOUNTS.c.id == bindparam("account_id"),)
_LOCK = {
    (where, dialect): select(*_COLUMNS, *([_NEXT_ENTRY_ID] if dialect == "postgresql" else []))
    .where(*clause)
    .with_for_update()
    for where, clause in (("owner", _BY_OWNER), ("id", _BY_ID))
    for dialect in ("postgresql", "sqlite")
}
_SET_HEAD = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id == bindparam("account_id"))
    .values(
        balance=bindparam("new_balance"),
        entry_count=bindparam("new_count"),
        head_hash=bindparam("new_head"),
    )
)
_OPEN = {
    dialect: upsert_insert(dialect)(_ACCOUNTS)
    .values(
        ledger=bindparam("ledger"),
        owner_type=bindparam("owner_type"),
        owner_id=bindparam("owner_id"),
        town_id=bindparam("town_id"),
        village_id=bindparam("village_id"),
        balance=0,
        entry_count=0,
        created_at=bindparam("now"),
    )
    .on_conflict_do_nothing(index_elements=["ledger", "owner_type", "owner_id"])
    for dialect in ("postgresql", "sqlite")
}


def _found(row: Any) -> tuple[Account, int | None]:
    return Account(*row[: len(_COLUMNS)]), (
        row[len(_COLUMNS)] if len(row) > len(_COLUMNS) else None
    )


async def locked(conn: AsyncConnection, ledger: Ledger, owner: Whose) -> tuple[Account, int | None]:
    """The owner's account on that ledger, locked, and (PostgreSQL) the next entry's id; opened
    on first use (safe against a racing open: the loser of the race finds the winner's row)."""
    dialect = conn.dialect.name
    params = {"ledger": ledger, "owner_type": owner.type, "owner_id": owner.id}
    found = (await conn.execute(_LOCK["owner", dialect], params)).first()
    if found is None:
        opened = {"town_id": owner.town_id, "village_id": owner.village_id, "now": utcnow()}
        await conn.execute(_OPEN[dialect], {**params, **opened})
        found = (await conn.execute(_LOCK["owner", dialect], params)).one()
    return _found(found)


_LOCK_MANY = (
    select(*_COLUMNS)
    .where(
        _ACCOUNTS.c.ledger == bindparam("ledger"),
        _ACCOUNTS.c.owner_type == bindparam("owner_type"),
        # One array, not an expanding IN: the statement's text does not depend on how many
        # accounts a group locks, so each connection prepares it once.
        _ACCOUNTS.c.owner_id == any_(bindparam("owner_ids", type_=postgresql.ARRAY(Integer))),
    )
    .order_by(_ACCOUNTS.c.id)
    .with_for_update()
)
_ENTRY_IDS = select(_NEXT_ENTRY_ID).select_from(func.generate_series(1, bindparam("count")))


async def locked_many(
    conn: AsyncConnection, ledger: Ledger, owners: Sequence[Whose]
) -> dict[tuple[OwnerType, int], Account]:
    """PostgreSQL: the owners' accounts on that ledger, locked in id order (two groups locking
    some of the same accounts then never wait on each other in a circle), the missing ones
    opened first."""
    found: dict[tuple[OwnerType, int], Account] = {}
    for kind in sorted({o.type for o in owners}):
        mine = {o.id: o for o in owners if o.type is kind}
        params = {"ledger": ledger, "owner_type": kind, "owner_ids": sorted(mine)}
        held = [Account(*row) for row in await conn.execute(_LOCK_MANY, params)]
        missing = set(mine) - {a.owner_id for a in held}
        if missing:
            now = utcnow()
            await conn.execute(
                _OPEN["postgresql"],
                [
                    {
                        **params,
                        "owner_id": i,
                        "town_id": mine[i].town_id,
                        "village_id": mine[i].village_id,
                        "now": now,
                    }
                    for i in sorted(missing)
                ],
            )
            opened = {**params, "owner_ids": sorted(missing)}
            held += [Account(*row) for row in await conn.execute(_LOCK_MANY, opened)]
        found.update({(kind, a.owner_id): a for a in held})
    return found


async def entry_ids(conn: AsyncConnection, count: int) -> list[int]:
    """PostgreSQL: ``count`` ledger entry ids drawn from the sequence in one trip."""
    return [int(i) for i in (await conn.execute(_ENTRY_IDS, {"count": count})).scalars()]


async def locked_by_id(conn: AsyncConnection, account_id: int) -> tuple[Account, int | None]:
    lock = _LOCK["id", conn.dialect.name]
    return _found((await conn.execute(lock, {"account_id": account_id})).one())


async def set_head(conn: AsyncConnection, account: Account) -> None:
    await conn.execute(
        _SET_HEAD,
        {
            "account_id": account.id,
            "new_balance": account.balance,
            "new_count": account.entry_count,
            "new_head": account.head_hash,
        },
    )


def keep_in_step(session: AsyncSession, account: Account) -> None:
    """An ORM copy of the account loaded earlier in this request gets the new head too."""
    held = session.identity_map.get(session.identity_key(PointsAccount, account.id))
    if held is not None:
        for name in ("balance", "entry_count", "head_hash"):
            set_committed_value(held, name, getattr(account, name))


def _binds(table: Table, prefix: str, names: list[str]) -> dict[str, Any]:
    return {name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names}


_ENTRY_NAMES = [c.key for c in _ENTRIES.columns]
_AUDIT_NAMES = [c.key for c in _AUDIT.columns if c.key != "id"]
_TOTAL_NAMES = ["account_id", "ledger", "period", "town_id", "village_id", "earned"]
_TOGETHER: dict[tuple[bool, bool], Any] = {}


def _together(head: bool, earned: bool) -> Any:
    """Built once per shape: a pending entry moves no head; spending earns nothing."""
    if (head, earned) not in _TOGETHER:
        insert = postgresql.insert
        parts = [insert(_ENTRIES).values(_binds(_ENTRIES, "e_", _ENTRY_NAMES)).cte("e")]
        if head:
            parts.append(_SET_HEAD.cte("a"))
        if earned:
            # One upsert per period: a multi-row VALUES would not be cached, and compiling
            # this statement costs more than running it.
            for i in range(3):
                upsert = insert(_TOTALS).values(_binds(_TOTALS, f"t{i}_", _TOTAL_NAMES))
                parts.append(
                    upsert.on_conflict_do_update(
                        index_elements=["account_id", "period"],
                        set_={"earned": _TOTALS.c.earned + upsert.excluded.earned},
                    ).cte(f"t{i}")
                )
        parts.append(insert(_AUDIT).values(_binds(_AUDIT, "au_", _AUDIT_NAMES)).cte("au"))
        _TOGETHER[head, earned] = select(literal_column("1")).add_cte(*parts)
    return _TOGETHER[head, earned]


async def write_together(
    conn: AsyncConnection,
    entry: LedgerEntry,
    head: Account | None,
    earned: bool,
    trail: dict[str, Any],
    now: datetime,
) -> None:
    """PostgreSQL: the entry (its id already drawn), the account's new head (None for a pending
    entry), the period totals (when the entry counts as earned) and the audit entry."""
    params = {f"e_{name}": getattr(entry, name) for name in _ENTRY_NAMES}
    params.update({f"au_{name}": trail.get(name) for name in _AUDIT_NAMES})
    if head is not None:
        params.update(
            account_id=head.id,
            new_balance=head.balance,
            new_count=head.entry_count,
            new_head=head.head_hash,
        )
    if earned and head is not None:
        for i, period in enumerate(totals.periods(now)):
            params.update(
                {
                    f"t{i}_account_id": head.id,
                    f"t{i}_ledger": head.ledger,
                    f"t{i}_period": period,
                    f"t{i}_town_id": head.town_id,
                    f"t{i}_village_id": head.village_id,
                    f"t{i}_earned": entry.points,
                }
            )
    await conn.execute(_together(head is not None, earned and head is not None), params)


async def write_many(
    conn: AsyncConnection,
    entries: list[LedgerEntry],
    heads: list[Account],
    earned: list[tuple[Account, int]],
    trails: list[dict[str, Any]],
    now: datetime,
) -> None:
    """PostgreSQL, for a round of a group's postings, each account once (an upsert may not
    touch a row twice): the entries (ids drawn), the accounts' new heads, the period totals
    and the audit entries; one statement each."""
    await rows.insert_many(
        conn, LedgerEntry, [{name: getattr(e, name) for name in _ENTRY_NAMES} for e in entries]
    )
    await conn.execute(
        _SET_HEAD,
        [
            {
                "account_id": a.id,
                "new_balance": a.balance,
                "new_count": a.entry_count,
                "new_head": a.head_hash,
            }
            for a in heads
        ],
    )
    await totals.add_earned_rows(
        conn,
        [row for account, points in earned for row in totals.earned_rows(account, points, now)],
    )
    await rows.insert_many(conn, AuditEntry, trails)

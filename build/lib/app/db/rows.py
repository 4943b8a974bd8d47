"""Rows written with one Core statement each, for the hot paths (check-in, posting).

The ORM costs more than the statement does (measured on the 2-core machine: ~240 µs of CPU per
ORM-executed select against ~160 µs for Core on the same connection, and a flush on top), so a path
that runs thousands of times a minute writes its rows here and keeps the ORM's identity map
in step: an inserted row is attached as persistent, an updated one gets the new values as
committed state. Statements are built once per table, columns and dialect.
"""

from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import upsert_insert

_BUILT: dict[tuple[Any, ...], Any] = {}
Row = TypeVar("Row", bound=SQLModel)


def table_of(row: Any) -> Table:
    return cast(Table, type(row).__table__)


async def connection(session: AsyncSession) -> AsyncConnection:
    """The session's connection, after writing what the ORM still holds: a Core statement
    does not flush, and it must see every row the request wrote before it."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


def values_of(row: Any) -> dict[str, Any]:
    """Every column but the generated id, with the defaults the model filled in."""
    return {c.key: getattr(row, c.key) for c in table_of(row).columns if c.key != "id"}


def _insert(table: Table, keys: tuple[str, ...], dialect: str, skip_conflict: bool) -> Any:
    key = ("insert", table.name, keys, dialect, skip_conflict)
    if key not in _BUILT:
        stmt: Any = upsert_insert(dialect)(table) if skip_conflict else insert(table)
        stmt = stmt.values({k: bindparam(f"v_{k}", type_=table.c[k].type) for k in keys})
        if skip_conflict:
            stmt = stmt.on_conflict_do_nothing()
        _BUILT[key] = stmt.returning(table.c.id)
    return _BUILT[key]


def attach(session: AsyncSession, row: Any) -> None:
    """A row written by Core becomes the session's persistent row, as if the ORM had saved it."""
    make_transient_to_detached(row)
    session.add(row)


async def insert_values(
    session: AsyncSession, model: Any, values: dict[str, Any], *, skip_conflict: bool = False
) -> int | None:
    """INSERTs one row from plain values (no model instance: building one costs more than the
    statement); its id, or None when ``skip_conflict`` met a row holding its unique key."""
    conn = await connection(session)
    table = cast(Table, model.__table__)
    stmt = _insert(table, tuple(values), conn.dialect.name, skip_conflict)
    new_id = (await conn.execute(stmt, {f"v_{k}": v for k, v in values.items()})).scalar()
    return None if new_id is None else int(new_id)


async def insert_row(session: AsyncSession, row: Any, *, skip_conflict: bool = False) -> bool:
    """INSERTs the row (RETURNING its id) and attaches it. ``skip_conflict`` makes it
    ``ON CONFLICT DO NOTHING``: False then means another row already holds its unique key."""
    new_id = await insert_values(session, type(row), values_of(row), skip_conflict=skip_conflict)
    if new_id is None:
        return False
    row.id = new_id
    attach(session, row)
    return True


def _update(table: Table, keys: tuple[str, ...]) -> Any:
    key = ("update", table.name, keys)
    if key not in _BUILT:
        _BUILT[key] = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({k: bindparam(f"v_{k}", type_=table.c[k].type) for k in keys})
        )
    return _BUILT[key]


async def update_row(session: AsyncSession, row: Any, **values: Any) -> None:
    """UPDATEs those columns of a saved row and gives the session's copy the same values."""
    conn = await connection(session)
    stmt = _update(table_of(row), tuple(values))
    await conn.execute(stmt, {"row_id": row.id, **{f"v_{k}": v for k, v in values.items()}})
    for name, value in values.items():
        set_committed_value(row, name, value)


def _many(table: Table, keys: tuple[str, ...], dialect: str, skip_conflict: bool) -> Any:
    key = ("many", table.name, keys, dialect, skip_conflict)
    if key not in _BUILT:
        stmt: Any = upsert_insert(dialect)(table) if skip_conflict else insert(table)
        stmt = stmt.values({k: bindparam(k, type_=table.c[k].type) for k in keys})
        _BUILT[key] = stmt.on_conflict_do_nothing() if skip_conflict else stmt
    return _BUILT[key]


async def insert_many(
    conn: AsyncConnection, model: Any, values: list[dict[str, Any]], *, skip_conflict: bool = False
) -> None:
    """INSERTs rows from plain values (all with the same keys) in one trip: one statement,
    built once, sent with every row's values (the driver's executemany)."""
    if values:
        table = cast(Table, model.__table__)
        stmt = _many(table, tuple(values[0]), conn.dialect.name, skip_conflict)
        await conn.execute(stmt, values)


def _unnest(table: Table, keys: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    key = ("unnest", table.name, keys, returning)
    if key not in _BUILT:
        # One array per column, unnested side by side: the statement's shape does not depend
        # on how many rows it carries, so it is built and prepared once.
        source = select(
            *(
                func.unnest(bindparam(f"u_{k}", type_=postgresql.ARRAY(table.c[k].type))).label(k)
                for k in keys
            )
        )
        stmt = postgresql.insert(table).from_select(list(keys), source).on_conflict_do_nothing()
        _BUILT[key] = stmt.returning(*(table.c[name] for name in returning))
    return _BUILT[key]


async def insert_new_many(
    conn: AsyncConnection, model: Any, values: list[dict[str, Any]], returning: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """PostgreSQL: INSERTs rows from plain values (all with the same keys) as one statement,
    skipping any whose unique key is already held (``ON CONFLICT DO NOTHING``); the
    ``returning`` columns of the rows it wrote, in no promised order."""
    if not values:
        return []
    keys = tuple(values[0])
    stmt = _unnest(cast(Table, model.__table__), keys, returning)
    params = {f"u_{k}": [row[k] for row in values] for k in keys}
    return [tuple(row) for row in await conn.execute(stmt, params)]


async def update_many(conn: AsyncConnection, model: Any, values: list[dict[str, Any]]) -> None:
    """UPDATEs rows by id (``row_id``), the same columns of each, in one trip (executemany)."""
    if values:
        keys = tuple(k for k in values[0] if k != "row_id")
        stmt = _update(cast(Table, model.__table__), keys)
        await conn.execute(
            stmt, [{"row_id": v["row_id"], **{f"v_{k}": v[k] for k in keys}} for v in values]
        )


_DEFAULTS: dict[Any, list[tuple[str, Any]]] = {}


def unsaved(model: type[Row], values: dict[str, Any]) -> Row:
    """A model instance holding ``values`` (and the model's defaults for the rest), built
    without validation or change tracking: ~5 µs where the model's own ``__init__`` costs
    ~70 µs on a 25-column row. For rows a group writes with Core and then only reads (an
    answer, a hash, an audit snapshot); never to be added to a session."""
    if model not in _DEFAULTS:
        _DEFAULTS[model] = [
            (name, field) for name, field in model.model_fields.items() if not field.is_required()
        ]
    row = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    filled = {
        name: field.get_default(call_default_factory=True)
        for name, field in _DEFAULTS[model]
        if name not in values
    }
    row.__dict__.update(filled, **values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    object.__setattr__(row, "__pydantic_extra__", None)
    object.__setattr__(row, "__pydantic_private__", None)
    return cast(Row, row)

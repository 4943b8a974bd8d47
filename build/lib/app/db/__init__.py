"""Engine and sessions. One transaction per request is owned by the session dependency."""

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings

SessionMaker = async_sessionmaker[AsyncSession]


def _prepare_sqlite(engine: AsyncEngine, url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Two deferred transactions that both upgrade to writers deadlock with SQLITE_BUSY and
        # the busy timeout cannot help; taking the write lock up front makes them queue instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(settings: Settings, *, pre_ping: bool = False) -> AsyncEngine:
    """``pre_ping`` tests each pooled connection before use: for the worker, whose jobs run
    minutes apart and must survive a database restart; not for requests, where it would cost
    a round trip each."""
    url = settings.database_url
    if settings.is_sqlite:
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _prepare_sqlite(engine, url)
        return engine
    return create_async_engine(
        url,
        # Overflow connections are opened and closed per burst, which costs more than waiting
        # briefly for a pooled one; keep the pool large and the overflow small.
        pool_size=settings.database_pool_size,
        max_overflow=max(2, settings.database_pool_size // 4),
        pool_recycle=1800,
        pool_pre_ping=pre_ping,
        # The most recently used connection first: the group writers' few connections stay
        # warm (each keeps its own prepared statements), where a queue would cycle every
        # write through all the pool's connections and prepare each statement on each.
        pool_use_lifo=True,
    )


def create_sessionmaker(engine: AsyncEngine, cache: Any = None) -> SessionMaker:
    """``cache`` (Redis or its stand-in) is what the sessions' commit hooks bump versions in:
    the cached principals' and the feed's first pages'. Without one, nothing is bumped."""
    info = {"cache": cache} if cache is not None else {}
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


def read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool in autocommit for GET requests on PostgreSQL; SQLite keeps transactions
    (its BEGIN IMMEDIATE hook must always be matched by a COMMIT)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def dialect_name(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def upsert_insert(dialect: str) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both PostgreSQL and SQLite have it)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert

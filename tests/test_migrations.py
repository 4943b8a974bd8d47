"""The migrations, run on an empty database, give exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.models import metadata


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_head_matches_the_models(app: FastAPI) -> None:
    # The session fixture ran `alembic upgrade head` on an empty database before any test.
    async with app.state.engine.connect() as connection:
        diff = await connection.run_sync(_diff)
        tables = await connection.run_sync(_tables)
    assert diff == []
    assert {t.name for t in metadata.sorted_tables} <= tables
    assert "alembic_version" in tables

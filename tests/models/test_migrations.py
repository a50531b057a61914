"""The migrations build exactly the schema the tables declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models.tables import Base
from service.runtime import Runtime


def test_migrated_schema_matches_the_tables(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(runtime: Runtime) -> None:
    runtime.migrate()
    runtime.migrate()

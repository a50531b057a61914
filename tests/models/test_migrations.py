"""The migrations build exactly the schema the tables declare, on both databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from models.db import make_engine, sqlite_url
from models.migrate import alembic_config, upgrade
from models.tables import Base
from service.runtime import Runtime
from tests.conftest import BACKENDS, PG_ADMIN_URL


def test_migrated_schema_matches_the_tables(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(runtime: Runtime) -> None:
    runtime.migrate()
    runtime.migrate()


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own (the shared ones stay at head while other tests use them)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    name = f"leerpad_migrate_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_learning_events_migration_goes_down_and_up_again(empty_database: str) -> None:
    upgrade(empty_database, "0003")
    assert "learning_events" not in _tables(empty_database)
    upgrade(empty_database)
    assert "learning_events" in _tables(empty_database)
    command.downgrade(alembic_config(empty_database), "0003")
    assert "learning_events" not in _tables(empty_database)
    assert "learning_paths" in _tables(empty_database)
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()


def _path_columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("learning_paths")}
    finally:
        engine.dispose()


def test_ranking_models_migration_goes_down_and_up_again_and_keeps_the_paths(empty_database: str) -> None:
    upgrade(empty_database, "0004")
    assert "ranking_models" not in _tables(empty_database)
    assert "impressions" not in _path_columns(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tenants (slug, name, index_version, created_at) VALUES ('t', 't', 0, :now)"
                ),
                {"now": datetime.now(UTC)},
            )
            conn.execute(
                text(
                    "INSERT INTO learning_paths (tenant_id, path_key, request, response, model_version, created_at) "
                    "SELECT id, 'p1', '{}', '{}', 'rules-1', :now FROM tenants"
                ),
                {"now": datetime.now(UTC)},
            )
        upgrade(empty_database)
        assert "ranking_models" in _tables(empty_database)
        assert "impressions" in _path_columns(empty_database)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT path_key, impressions FROM learning_paths")).all() == [
                ("p1", None)
            ]
        command.downgrade(alembic_config(empty_database), "0004")
        assert "ranking_models" not in _tables(empty_database)
        assert "impressions" not in _path_columns(empty_database)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT path_key FROM learning_paths")).scalars().all() == ["p1"]
        upgrade(empty_database)
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()

"""The migrations build exactly the schema the tables declare, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Connection, column, func, inspect, select, table, text

from models import repositories as repo
from models.db import make_engine, sqlite_url, transaction
from models.migrate import alembic_config, upgrade
from models.tables import Base
from service.core.runtime import Runtime
from tests.support.databases import own_database


def test_migrated_schema_matches_the_tables(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own (the shared ones stay at head while other tests use them)."""
    with own_database(backend) as url:
        yield url or sqlite_url(tmp_path)


def _schema_and_rows(url: str) -> dict[str, object]:
    """The revision, and each table's columns, indexes and row count."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return {
                "revision": MigrationContext.configure(conn).get_current_revision(),
                "tables": {
                    name: (
                        sorted(found["name"] for found in inspector.get_columns(name)),
                        sorted(str(found["name"]) for found in inspector.get_indexes(name)),
                        conn.scalar(select(func.count()).select_from(table(name))),
                    )
                    for name in inspector.get_table_names()
                },
            }
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(runtime: Runtime, tenant: str) -> None:
    """A second upgrade of a database at head changes neither its schema nor its rows."""
    with transaction(runtime.sessions) as session:
        repo.get_or_create_tenant(session, tenant)
    before = _schema_and_rows(runtime.settings.db_url)
    runtime.migrate()
    assert _schema_and_rows(runtime.settings.db_url) == before
    head = ScriptDirectory.from_config(alembic_config(runtime.settings.db_url)).get_current_head()
    assert before["revision"] == head
    assert before["tables"]["tenants"][2] >= 1  # type: ignore[index]


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


def add_tenant(conn: Connection) -> int:
    """Tenant 't', written with SQL (the tables of an older revision may not match models.tables)."""
    conn.execute(
        text("INSERT INTO tenants (slug, name, index_version, created_at) VALUES ('t', 't', 0, :now)"),
        {"now": datetime.now(UTC)},
    )
    return int(conn.execute(text("SELECT id FROM tenants WHERE slug = 't'")).scalar_one())


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
            add_tenant(conn)
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


def test_web_urls_migration_clears_every_url_that_is_not_http_or_https(empty_database: str) -> None:
    """0014: a javascript: (or data:, file:, scheme-less) url imported before ingest refused them is
    cleared from the items and from the steps of stored paths; http(s) urls stay as they were."""
    upgrade(empty_database, "0013")
    urls = {
        "web": "https://lms.example/sql",
        "upper": "HTTP://LMS.EXAMPLE/A",
        "js": "javascript:alert(1)",
        "js-upper": " JavaScript:alert(1)",
        "data": "data:text/html,<script>alert(1)</script>",
        "bare": "https://",
        "none": None,
    }
    now = datetime.now(UTC)
    items = table(
        "catalog_items",
        *(column(name) for name in ("tenant_id", "source", "kind", "external_id", "title", "description")),
        *(column(name) for name in ("url", "language", "minutes", "format", "content_hash", "status")),
        column("declared_skills", JSON()),
        column("extra", JSON()),
        column("created_at"),
        column("updated_at"),
    )
    paths = table(
        "learning_paths",
        *(column(name) for name in ("tenant_id", "path_key", "model_version", "created_at")),
        column("request", JSON()),
        column("response", JSON()),
    )
    steps = [
        {"item_id": 1, "url": urls["web"]},
        {"item_id": 2, "url": urls["js"]},
        {"item_id": 3, "url": None},
    ]
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            tenant = add_tenant(conn)
            common = {"tenant_id": tenant, "source": "csv", "kind": "csv", "title": "T", "description": "D"}
            common |= {"language": "nl", "minutes": 10, "format": "course", "content_hash": "h"}
            common |= {
                "status": "active",
                "declared_skills": [],
                "extra": {},
                "created_at": now,
                "updated_at": now,
            }
            conn.execute(
                items.insert(), [{**common, "external_id": name, "url": url} for name, url in urls.items()]
            )
            conn.execute(
                paths.insert(),
                [
                    {"tenant_id": tenant, "path_key": "p1", "model_version": "rules-1", "created_at": now}
                    | {"request": {}, "response": {"steps": steps, "covered_gaps": []}},
                    {"tenant_id": tenant, "path_key": "p2", "model_version": "rules-1", "created_at": now}
                    | {"request": {}, "response": {"steps": []}},
                ],
            )
        upgrade(empty_database)
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT external_id, url FROM catalog_items")).all())
            answers = dict(conn.execute(select(paths.c.path_key, paths.c.response)).all())
    finally:
        engine.dispose()
    assert stored == {**dict.fromkeys(urls), "web": urls["web"], "upper": urls["upper"]}
    assert [step["url"] for step in answers["p1"]["steps"]] == [urls["web"], None, None]
    assert answers["p1"]["covered_gaps"] == [] and answers["p2"] == {"steps": []}


def _key_columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("api_keys")}
    finally:
        engine.dispose()


def test_key_last_used_migration_goes_down_and_up_again_and_keeps_the_keys(empty_database: str) -> None:
    """0026: api_keys.last_used_at, null for the keys there were; going down drops it in place,
    keeping every key and the dashboard logins that hang on them."""
    before = ScriptDirectory.from_config(alembic_config(empty_database)).get_revision("0026").down_revision
    assert isinstance(before, str)
    upgrade(empty_database, before)
    assert "last_used_at" not in _key_columns(empty_database)
    now = datetime.now(UTC)
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            tenant = add_tenant(conn)
            conn.execute(
                text(
                    "INSERT INTO api_keys (tenant_id, prefix, key_hash, role, created_at) "
                    "VALUES (:tenant, 'abc', 'hash', 'ld', :now)"
                ),
                {"tenant": tenant, "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO dashboard_sessions (tenant_id, key_id, token_hash, created_at, last_seen_at, "
                    "expires_at) SELECT tenant_id, id, 'token', :now, :now, :now FROM api_keys"
                ),
                {"now": now},
            )
        upgrade(empty_database)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT prefix, last_used_at FROM api_keys")).all() == [("abc", None)]
        command.downgrade(alembic_config(empty_database), before)
        assert "last_used_at" not in _key_columns(empty_database)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT prefix FROM api_keys")).scalars().all() == ["abc"]
            sessions = conn.execute(text("SELECT token_hash FROM dashboard_sessions")).scalars().all()
        assert sessions == ["token"]
        upgrade(empty_database)
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()

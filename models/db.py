"""Engine and session factories. Nothing is built at import: callers pass the URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

import models.tags_version  # noqa: F401  (registers the listener that versions item tags)


def sqlite_url(home: Path) -> str:
    """The default embedded database under LEERPAD_HOME."""
    return f"sqlite+pysqlite:///{(home / 'leerpad.db').resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while an ingest writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, echo: bool = False, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """An engine for SQLite (file, WAL) or PostgreSQL (psycopg 3, pooled: up to `pool_size` kept open
    and `max_overflow` more while busy)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def make_migration_engine(url: str) -> Engine:
    """`make_engine`, with SQLite's DDL inside the migration's transaction.

    pysqlite opens a transaction only before DML, so a CREATE TABLE would commit at once: a migration
    killed midway would leave tables without Alembic's version stamp, and no later upgrade could run.
    Here the driver's own transaction handling is off and SQLAlchemy's BEGIN is sent explicitly, so
    every upgrade either happens whole or not at all (PostgreSQL's DDL is transactional already)."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        def no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        def explicit_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

        event.listen(engine, "connect", no_driver_transactions)
        event.listen(engine, "begin", explicit_begin)
    return engine


def ping(engine: Engine) -> None:
    """Reach the database (SELECT 1) or raise the driver's error: the readiness check."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

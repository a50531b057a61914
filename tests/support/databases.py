"""The database backends the suite runs on, and databases of a test's own on each."""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

# Every database test runs on each of these unless it names fewer with @pytest.mark.backends(...).
BACKENDS = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get(
    "LEERPAD_TEST_PG_ADMIN", f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test"
)


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped on the way out."""
    name = f"leerpad_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def own_database(backend: str) -> Iterator[str]:
    """A database nobody else uses, as a LEERPAD_DATABASE_URL: a fresh PostgreSQL database, or ""
    for SQLite (the file under whichever LEERPAD_HOME the test gives it)."""
    if backend == "postgresql":
        with fresh_pg_database() as url:
            yield url
    elif backend == "sqlite":
        yield ""
    else:
        raise ValueError(f"unknown backend {backend!r}; the backends are {', '.join(BACKENDS)}")

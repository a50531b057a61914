"""LEERPAD_DB_POOL_SIZE and LEERPAD_DB_MAX_OVERFLOW size each process's PostgreSQL pool, so an
operator can fit many replicas into one server's max_connections."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from service.core.runtime import Runtime
from service.core.settings import Settings


@pytest.mark.backends("postgresql")
def test_the_pool_settings_size_the_postgresql_pool(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEERPAD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEERPAD_DATABASE_URL", database_url)
    monkeypatch.setenv("LEERPAD_DB_POOL_SIZE", "2")
    monkeypatch.setenv("LEERPAD_DB_MAX_OVERFLOW", "1")
    runtime = Runtime(Settings())
    try:
        pool = runtime.engine.pool
        assert pool.size() == 2  # type: ignore[attr-defined]
        with ExitStack() as open_connections:
            for _ in range(3):  # two kept, one overflow
                connection = open_connections.enter_context(runtime.engine.connect())
                assert connection.execute(text("SELECT 1")).scalar_one() == 1
            assert pool.checkedout() == 3 and pool.overflow() == 1  # type: ignore[attr-defined]
        assert pool.checkedin() == 2  # type: ignore[attr-defined]  # the overflow one was closed
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("name", "value"), [("LEERPAD_DB_POOL_SIZE", "0"), ("LEERPAD_DB_MAX_OVERFLOW", "-1")]
)
def test_a_pool_setting_out_of_range_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("LEERPAD_").lower()):
        Settings()

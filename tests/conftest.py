"""Shared fixtures: one encoder per session, one migrated database per backend (SQLite and PostgreSQL).

Database tests isolate themselves by tenant: each test gets a fresh tenant slug, so tests that
commit (the ingest pipeline does) never see each other's rows.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from recommender.embedding import MINILM, Encoder
from service.runtime import Runtime
from service.settings import Settings

# The suite encodes with all-MiniLM-L6-v2, the fastest bundled encoder; the product's default,
# multilingual-e5-small, is 2.4x slower to encode (bench/encoders.py) and would add minutes to every
# catalog a test imports. Tests about the default itself ask for it by name (test_embedding_models,
# test_retrieval_quality, test_calibration, test_reembed). Set LEERPAD_TEST_EMBEDDING_MODEL to run the
# whole suite on another model; subprocesses (the CLI, `leerpad serve`) inherit the choice.
TEST_EMBEDDING_MODEL = os.environ.get("LEERPAD_TEST_EMBEDDING_MODEL", MINILM)
os.environ["LEERPAD_EMBEDDING_MODEL"] = TEST_EMBEDDING_MODEL

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get(
    "LEERPAD_TEST_PG_ADMIN", f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared test data is missing at {SHARED_DATA} (CI has it at ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real test encoder (TEST_EMBEDDING_MODEL), loaded once for the whole session."""
    return Encoder(TEST_EMBEDDING_MODEL)


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


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def own_pg_database() -> Iterator[str]:
    """A PostgreSQL database for one test alone: for tests whose workers claim every queued job."""
    with fresh_pg_database() as url:
        yield url


def make_settings(home: Path, database_url: str = "", **overrides: object) -> Settings:
    # A rate limit no test reaches unless it asks for a lower one (tests/service/test_limits.py).
    overrides.setdefault("rate_limit_per_minute", 1_000_000)
    overrides.setdefault("rate_limit_burst", 100_000)
    return Settings(
        home=home, database_url=database_url, environment="test", run_jobs_in_api=False, **overrides
    )


@pytest.fixture(scope="session", params=BACKENDS)
def runtime(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, encoder: Encoder
) -> Iterator[Runtime]:
    """A migrated runtime per backend, sharing the session's encoder."""
    home = tmp_path_factory.mktemp(f"home-{request.param}")
    url = request.getfixturevalue("pg_database") if request.param == "postgresql" else ""
    active = Runtime(make_settings(home, url), encoder=encoder)
    active.migrate()
    yield active
    active.close()


@pytest.fixture
def tenant() -> str:
    """A tenant slug no other test uses."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def sqlite_runtime(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Iterator[Runtime]:
    """A migrated SQLite runtime for the few heavy tests that need to run only once."""
    active = Runtime(make_settings(tmp_path_factory.mktemp("home-sqlite-only")), encoder=encoder)
    active.migrate()
    yield active
    active.close()


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`build(folder)` run once per test run, also when pytest-xdist splits the run over processes:
    the workers share the run's base temp folder, and the first to take the lock builds there while
    the others wait for it. Without xdist the folder is the session's own."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    target = shared / name
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_dir():
            partial = shared / f"{name}.partial-{os.getpid()}"
            build(partial)
            partial.rename(target)  # whole or not at all: a build that failed leaves no target
    return target


@dataclass(frozen=True)
class DemoLoad:
    home: Path  # a LEERPAD_HOME (SQLite) with the demo loaded; copy it (`demo_home`), never change it
    exit_code: int  # of the first `leerpad demo`
    output: str  # what the first `leerpad demo` printed


@pytest.fixture(scope="session")
def demo_load(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> DemoLoad:
    """The bundled demo loaded by `leerpad demo` into a fresh SQLite LEERPAD_HOME, once per test run
    (a first load embeds about a thousand texts, 1 to 1.5 min of CPU)."""

    def load(folder: Path) -> None:
        from typer.testing import CliRunner

        from service import cli

        def runtime() -> Runtime:
            active = Runtime(Settings(), encoder=encoder)
            active.migrate()
            return active

        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("LEERPAD_HOME", str(folder / "home"))
            patch.delenv("LEERPAD_DATABASE_URL", raising=False)
            patch.setattr(cli, "_runtime", runtime)
            done = CliRunner().invoke(cli.app, ["demo"], catch_exceptions=False)
        (folder / "exit_code").write_text(str(done.exit_code))
        (folder / "output.txt").write_text(done.stdout, encoding="utf-8")

    folder = built_once(tmp_path_factory, "demo-load", load)
    return DemoLoad(
        home=folder / "home",
        exit_code=int((folder / "exit_code").read_text()),
        output=(folder / "output.txt").read_text(encoding="utf-8"),
    )


@pytest.fixture(scope="session")
def demo_template(demo_load: DemoLoad) -> Path:
    """A LEERPAD_HOME (SQLite) with the bundled demo loaded. Tests copy it (`demo_home`) rather
    than change it."""
    assert demo_load.exit_code == 0, demo_load.output
    return demo_load.home


@pytest.fixture
def demo_home(demo_template: Path, tmp_path: Path) -> Path:
    """A home of this test's own with the demo loaded (a copy of `demo_template`)."""
    return Path(shutil.copytree(demo_template, tmp_path / "demo-home"))

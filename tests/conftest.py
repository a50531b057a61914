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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import pytest

from recommender.embedding import MINILM, EncodeKind, Encoder
from service.core.runtime import Runtime
from service.core.settings import Settings

# The suite encodes with all-MiniLM-L6-v2, the fastest bundled encoder; the product's default,
# multilingual-e5-small, is 2.4x slower to encode (bench/encoders.py) and would add minutes to every
# catalog a test imports. Tests about the default itself ask for it by name (test_embedding_models,
# test_retrieval_quality, test_calibration, test_reembed). Set LEERPAD_TEST_EMBEDDING_MODEL to run the
# whole suite on another model; subprocesses (the CLI, `leerpad serve`) inherit the choice.
TEST_EMBEDDING_MODEL = os.environ.get("LEERPAD_TEST_EMBEDDING_MODEL", MINILM)
os.environ["LEERPAD_EMBEDDING_MODEL"] = TEST_EMBEDDING_MODEL

# Under pytest-xdist (`make test` runs a worker per core) each worker, and every process its tests
# start, gets its share of the cores for torch's and BLAS's threads: two workers that each spin two
# OpenMP threads on two cores spend about a third more CPU on the same encoding. Loaded before torch
# is (the encoders import it when first made); an OMP_NUM_THREADS set by hand is kept.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // _workers)))

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get(
    "LEERPAD_TEST_PG_ADMIN", f"postgresql://{getpass.getuser()}@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, modules that hold a slow test go first, in their usual order: `make test`
    hands each worker whole modules (--dist loadscope), in the order collected, so the long ones start
    early rather than leave one worker busy at the end while the other has nothing left to do."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared test data is missing at {SHARED_DATA} (CI has it at ../shared/data)")
    return SHARED_DATA


class SessionEncoder(Encoder):
    """The real model, remembering each text's vector for the rest of the session: dozens of tests
    import the bundled taxonomy (149 skills, about 5 s of CPU to embed) or the same small catalog
    into a tenant of their own, and a deterministic model gives a text the same vector every time.
    Tests that count what is sent to the encoder wrap it (CountingEncoder) and still see every text.
    Inside `computing()` every text goes through the model, for tests about encoding itself."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._memo: dict[tuple[str, str], np.ndarray] = {}
        self._computing = False

    def encode(
        self, texts: Sequence[str], progress: bool = False, kind: EncodeKind = "passage"
    ) -> np.ndarray:
        if self._computing or not texts:
            return super().encode(texts, progress=progress, kind=kind)
        texts = list(texts)
        missing = [text for text in dict.fromkeys(texts) if (kind, text) not in self._memo]
        if missing:
            vectors = super().encode(missing, progress=progress, kind=kind)
            self._memo.update(((kind, text), vector) for text, vector in zip(missing, vectors, strict=True))
        return np.stack([self._memo[(kind, text)] for text in texts])

    @contextmanager
    def computing(self) -> Iterator[None]:
        self._computing = True
        try:
            yield
        finally:
            self._computing = False


@pytest.fixture(scope="session")
def encoder() -> SessionEncoder:
    """The real test encoder (TEST_EMBEDDING_MODEL), loaded once for the whole session."""
    return SessionEncoder(TEST_EMBEDDING_MODEL)


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

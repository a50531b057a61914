"""Shared fixtures: one encoder per session, one migrated database per backend (SQLite and PostgreSQL).

Database tests isolate themselves by tenant: each test gets a fresh tenant slug, so tests that
commit (the ingest pipeline does) never see each other's rows.

A test that uses the database (the `runtime` fixture, or `database_url` for a database of its own)
runs on every backend of BACKENDS, once each, unless it names fewer with
`@pytest.mark.backends("sqlite")` or `@pytest.mark.backends("postgresql")`. Every run on PostgreSQL
gets the `postgres` marker, so `-m "not postgres"` runs exactly what needs no server.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recommender.embedding import MINILM, Encoder
from service.core.runtime import Runtime
from service.core.settings import Settings
from tests.support.databases import BACKENDS, fresh_pg_database, own_database
from tests.support.demo import DemoLoad
from tests.support.encoders import SessionEncoder
from tests.support.settings import make_settings

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that needs a database runs once per backend it names (every backend by default)."""
    if "backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker else BACKENDS
    unknown = [name for name in names if name not in BACKENDS]
    if not names or unknown:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: backends must be some of {BACKENDS}")
    metafunc.parametrize("backend", names, indirect=True, scope="session")


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterator[None]:
    """Runs on PostgreSQL get the `postgres` marker before any other hook sees the items (`-m "not
    postgres"` deselects on it). Under pytest-xdist, modules that hold a slow test then go first, in
    their usual order, after every other hook has reordered: `make test` hands each worker whole
    modules (--dist loadscope) in the order collected, so the long ones must start early rather than
    leave one worker busy at the end while the other has nothing left to do. pytest's own grouping by
    the session-scoped `backend` parameter runs in this hook too and would undo an earlier sort."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgres)
    yield
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared test data is missing at {SHARED_DATA} (CI has it at ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def encoder() -> SessionEncoder:
    """The real test encoder (TEST_EMBEDDING_MODEL), loaded once for the whole session."""
    return SessionEncoder(TEST_EMBEDDING_MODEL)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend this run of the test is on (see pytest_generate_tests)."""
    return str(request.param)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def runtime(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, encoder: Encoder
) -> Iterator[Runtime]:
    """A migrated runtime on the backend, shared by the session's tests on it and by the encoder."""
    home = tmp_path_factory.mktemp(f"home-{backend}")
    url = request.getfixturevalue("pg_database") if backend == "postgresql" else ""
    active = Runtime(make_settings(home, url), encoder=encoder)
    active.migrate()
    yield active
    active.close()


@pytest.fixture
def database_url(backend: str) -> Iterator[str]:
    """A database of this test's own on the backend, for tests that look at every row or job in it:
    a new PostgreSQL database (dropped afterwards), or "" for SQLite (a file under the home the test
    gives its settings)."""
    with own_database(backend) as url:
        yield url


@pytest.fixture
def tenant() -> str:
    """A tenant slug no other test uses."""
    return f"t-{uuid.uuid4().hex[:10]}"


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


@pytest.fixture(scope="session")
def demo_load(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> DemoLoad:
    """The bundled demo loaded by `leerpad demo` into a fresh SQLite LEERPAD_HOME, once per test run
    (a first load embeds about a thousand texts, 1 to 1.5 min of CPU)."""

    def load(folder: Path) -> None:
        from typer.testing import CliRunner

        from service import cli
        from service.cli import context

        def runtime() -> Runtime:
            active = Runtime(Settings(), encoder=encoder)
            active.migrate()
            return active

        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("LEERPAD_HOME", str(folder / "home"))
            patch.delenv("LEERPAD_DATABASE_URL", raising=False)
            patch.setattr(context, "open_runtime", runtime)
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

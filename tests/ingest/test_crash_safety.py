"""Real imports killed with SIGKILL at every stage, then run again: nothing lost, nothing doubled,
the index always in step with the database, the database intact.

`leerpad ingest csv FILE --tenant T` runs as a child process and is killed (SIGKILL, from this
process) during start-up, model loading, embedding (seeded random delays, the embedding phase
recognised by its progress bar), and at each narrow step of the write (through a small driver that
runs the same CLI and pauses at a named point so that the kill lands exactly there): with the
catalog written but not committed, with the snapshot half written, with the snapshot written but
not committed, after the commit but before the switch, and in the middle of the switch. Imports
alternate between three versions of a catalog (each one creates, updates and retires items), so
every killed import has something to lose.

After every kill and every completed import:

- SQLite `PRAGMA integrity_check` is "ok" and `foreign_key_check` is empty (PostgreSQL: the row
  checks below);
- no item is duplicated ((source, external_id) per tenant, and (item, position) per unit), and the
  active items are exactly those of the last completed import or of the killed one, never a
  mixture (one import is one transaction); after a completed import, exactly those of its file;
- the published snapshot (CURRENT) is never ahead of the committed database. It matches it
  (`Runtime.check_index(repair=False)` is None: catalog version, vector count = active units, BM25
  file) after every kill except one after the commit and before the switch; then it is exactly one
  catalog version behind, readiness says so (503), and a complete snapshot of the committed
  catalog is waiting beside it: the service's restore switches to it (checked: "rolled forward",
  no rebuild) or the next import does (checked at its end). After a completed import it always
  matches, with no temporary files, no uncommitted snapshot and nothing set aside.

Figures of the last run (SQLite and PostgreSQL, printed at the end of each; `pytest -s` shows them):
SQLite 11 SIGKILL runs, PostgreSQL 5 (16 in all), rows lost 0, rows duplicated 0, index ahead of the
database 0, index left one step behind and rolled forward 2 + 2; about 67 s and 42 s on 2 cores.

Known, outside this module's files: a SQLite database killed in the middle of its first migration
cannot be upgraded any more (`test_a_migration_killed_midway_can_be_run_again`, expected to fail
until models/migrations/env.py runs SQLite migrations in a transaction); the runs here therefore
migrate first and kill imports only.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from models import repositories as repo
from models.tables import ITEM_ACTIVE, CatalogItem, MicroUnit
from recommender.index import KEEP_SNAPSHOTS
from service.core.runtime import Runtime
from tests.support.catalogs import write_csv
from tests.support.settings import make_settings

LEERPAD = Path(sys.executable).parent / "leerpad"
TENANT = "crash"
ROWS_PER_CATALOG = 120
SHIFT = 15  # each version drops the first SHIFT ids of the previous one and adds SHIFT new ones
RUN_TIMEOUT = 300

# Runs the real CLI; pauses (prints a marker, sleeps) at the point named by LEERPAD_CRASH_PAUSE so
# that the test's SIGKILL lands exactly there. Points after the commit are armed only once this
# import has written its snapshot, so that they are not confused with what it settles first.
DRIVER = """
import os, sys, time
from pathlib import Path

import ingest.indexing as indexing
import recommender.index as index

PAUSE = os.environ["LEERPAD_CRASH_PAUSE"]
state = {"published": False}


def pause(name):
    if name == PAUSE:
        sys.stderr.write(f"\\nPAUSED AT {name}\\n")
        sys.stderr.flush()
        time.sleep(600)


publish = indexing.PendingSnapshot.publish  # the import's own snapshot, written before its commit


def publish_hooked(self, *args, **kwargs):
    pause("before-publish")
    manifest = publish(self, *args, **kwargs)
    state["published"] = True
    pause("before-commit")
    return manifest


indexing.PendingSnapshot.publish = publish_hooked
write = index._write_durably


def write_hooked(path, data):
    if path.name == index.MANIFEST_FILE and path.parent.name.startswith(".tmp-"):
        pause("mid-snapshot-write")
    write(path, data)
    if state["published"] and path.name.startswith(".CURRENT."):
        pause("mid-current-switch")


index._write_durably = write_hooked
activate = index.SnapshotStore.activate


def activate_hooked(self, version):
    if state["published"]:
        pause("before-switch")
    activate(self, version)


index.SnapshotStore.activate = activate_hooked
from service.cli import main

sys.argv[0] = "leerpad"
sys.exit(main())
"""

WORDS = [
    "leren",
    "data",
    "python",
    "sql",
    "feedback",
    "vergaderen",
    "leiderschap",
    "excel",
    "privacy",
    "security",
    "cloud",
    "agile",
    "scrum",
    "teamwork",
    "communicatie",
    "presenteren",
    "budget",
    "planning",
    "klant",
    "kwaliteit",
    "onderzoek",
    "schrijven",
    "analyse",
    "coaching",
    "veiligheid",
    "wetgeving",
    "marketing",
    "verkoop",
    "strategie",
    "ontwerp",
]


def catalog(version: int) -> dict[str, str]:
    """external_id -> description of catalog version 0, 1 or 2: a sliding window of ids, and a
    quarter of the descriptions carry the version's edition (so each switch updates about half)."""
    rng = random.Random(1234)
    texts = {i: " ".join(rng.choice(WORDS) for _ in range(35)) for i in range(SHIFT * 3 + ROWS_PER_CATALOG)}
    first = SHIFT * version
    return {
        f"c-{i}": texts[i] + (f" Editie {version}." if i % 4 == version % 4 else "")
        for i in range(first, first + ROWS_PER_CATALOG)
    }


def write_catalog(folder: Path, version: int) -> Path:
    rows = [[ext, f"Cursus {ext}", text, "", "nl", "20", ""] for ext, text in catalog(version).items()]
    return write_csv(folder / f"catalog-{version}.csv", rows)


@dataclass(frozen=True)
class Step:
    version: int  # the catalog version this import brings
    kill: str  # "after:<seconds>", "embedding:<seconds>", "at:<pause point>" or "" (run to the end)
    restore_by: str = "next import"  # who restores an index left behind: "service" or "next import"


def schedule(seed: int, full: bool) -> list[Step]:
    """The imports of one run; `full=False` keeps the ones marked True (the short PostgreSQL run)."""
    rng = random.Random(seed)
    steps = [
        (Step(0, f"after:{rng.uniform(0.2, 2.0):.2f}"), True),  # start-up: imports, settling
        (Step(0, f"after:{rng.uniform(3.0, 5.0):.2f}"), False),  # loading the model
        (Step(0, f"embedding:{rng.uniform(0.0, 1.0):.2f}"), True),
        (Step(0, "at:before-commit"), False),  # first import: snapshot written, nothing committed
        (Step(0, "at:before-switch"), True),  # committed, not switched; the next import settles it
        (Step(1, "at:before-publish"), False),  # the catalog written (flushed), not committed
        (Step(1, "at:mid-snapshot-write"), False),
        (Step(1, "at:before-commit"), True),  # the snapshot written, not committed
        (Step(1, "at:mid-current-switch", restore_by="service"), True),  # committed, CURRENT half moved
        (Step(2, "random"), False),
        (Step(2, ""), True),
        (Step(0, f"embedding:{rng.uniform(0.0, 0.8):.2f}"), False),
        (Step(0, ""), True),
        (Step(0, ""), True),  # again: changes nothing, publishes nothing
    ]
    return [step for step, short in steps if full or short]


@dataclass
class Tally:
    kills: int = 0
    completed: int = 0
    behind: int = 0
    rolled_forward: int = 0
    rows_lost: int = 0
    rows_duplicated: int = 0
    ahead: int = 0
    longest_run: float = 0.0
    phases: list[str] = field(default_factory=list)


class Crasher:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.home = tmp_path / "home"
        self.folder = tmp_path
        self.url = database_url
        self.env = {
            **os.environ,
            "LEERPAD_HOME": str(self.home),
            "LEERPAD_DATABASE_URL": database_url,
            "HF_HUB_OFFLINE": "1",
        }
        self.driver = tmp_path / "crash_driver.py"
        self.driver.write_text(DRIVER)
        self.files = {v: write_catalog(tmp_path, v) for v in range(3)}
        self.runs = 0
        self.tally = Tally()

    def upgrade(self) -> None:
        """Migrate and create the tenant the imports work for (the CLI refuses an unknown one)."""
        for command in (["db", "upgrade"], ["tenants", "create", TENANT]):
            done = subprocess.run(
                [str(LEERPAD), *command], env=self.env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr

    def run(self, step: Step, rng: random.Random) -> tuple[int, str]:
        """One import, killed as the step says; returns its exit code and where it was killed."""
        self.runs += 1
        # A killed import can leave the catalog two versions behind the next one, which then
        # retires 2 x SHIFT items (25%): allowed, as this test is about crashes, not that rule.
        args = ["ingest", "csv", str(self.files[step.version]), "--tenant", TENANT, "--allow-retire"]
        env = dict(self.env)
        command = [str(LEERPAD), *args]
        mode, _, value = step.kill.partition(":")
        if mode == "at":
            env["LEERPAD_CRASH_PAUSE"] = value
            command = [sys.executable, str(self.driver), *args]
        if mode == "random":
            mode, value = "after", f"{rng.uniform(0.3, max(self.tally.longest_run, 3.0)):.2f}"
        err_path = self.folder / f"run-{self.runs}.err"
        started = time.monotonic()
        with open(err_path, "w") as err:
            child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            where = self._wait_and_kill(child, mode, value, err_path, started)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        elapsed = time.monotonic() - started
        self.tally.longest_run = max(self.tally.longest_run, elapsed)  # random kills spread over it
        if child.returncode != 0:
            assert child.returncode == -signal.SIGKILL, err_path.read_text()[-3000:]
        return child.returncode, where

    def _wait_and_kill(
        self, child: subprocess.Popen[bytes], mode: str, value: str, err_path: Path, started: float
    ) -> str:
        deadline = started + RUN_TIMEOUT
        # `leerpad ingest` draws its embedding bar (ingest.pipeline.encode_texts) as it starts to encode.
        marker = {"at": f"PAUSED AT {value}", "embedding": "embedding csv"}.get(mode)
        kill_at = started + float(value) if mode == "after" else None
        while child.poll() is None:
            now = time.monotonic()
            assert now < deadline, f"import did not finish: {err_path.read_text()[-2000:]}"
            if marker and marker in err_path.read_text(errors="replace"):
                if mode == "embedding":
                    time.sleep(float(value))
                    where = f"embedding +{value}s"
                else:
                    where = value
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=30)
                return where
            if kill_at is not None and now >= kill_at:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=30)
                return f"after {value}s"
            time.sleep(0.02)  # polls a real other process or server, up to the deadline
        assert not marker or mode != "at", f"never reached {value}: {err_path.read_text()[-2000:]}"
        return "completed"

    def check(
        self, committed: dict[str, str] | None, target: dict[str, str], completed: bool
    ) -> tuple[bool, bool]:
        """Every invariant; returns whether the import's transaction committed, and whether the
        index was left behind the database."""
        if not self.url:
            with sqlite3.connect(self.home / "leerpad.db") as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        runtime = Runtime(make_settings(self.home, self.url))
        try:
            return self._check_rows_and_index(runtime, committed, target, completed)
        finally:
            runtime.close()

    def _check_rows_and_index(
        self, runtime: Runtime, committed: dict[str, str] | None, target: dict[str, str], completed: bool
    ) -> tuple[bool, bool]:
        with runtime.sessions() as session:
            tenant = repo.get_tenant(session, TENANT)
            assert tenant is not None, "created by `leerpad tenants create` before the first import"
            if tenant.index_version == 0:  # nothing ever committed (every import that commits moves it)
                assert committed is None and not completed
                assert repo.count_items_by_status(session, tenant.id) == {}
                if runtime.store(TENANT).current_version() is not None:
                    self.tally.ahead += 1
                assert runtime.store(TENANT).current_version() is None, "index ahead of the database"
                return False, False
            items = session.execute(
                select(
                    CatalogItem.id,
                    CatalogItem.source,
                    CatalogItem.external_id,
                    CatalogItem.description,
                    CatalogItem.status,
                ).where(CatalogItem.tenant_id == tenant.id)
            ).all()
            units = session.execute(
                select(MicroUnit.item_id, MicroUnit.position, MicroUnit.active, MicroUnit.embedding)
                .join(CatalogItem, CatalogItem.id == MicroUnit.item_id)
                .where(CatalogItem.tenant_id == tenant.id)
            ).all()
            db_version, active_count = tenant.index_version, repo.count_active_units(session, tenant.id)
        doubled = sum(n - 1 for n in Counter((i.source, i.external_id) for i in items).values())
        doubled += sum(n - 1 for n in Counter((u.item_id, u.position) for u in units).values())
        self.tally.rows_duplicated += doubled
        assert doubled == 0
        active = {i.external_id: i.description for i in items if i.status == ITEM_ACTIVE}
        active_ids = {i.id for i in items if i.status == ITEM_ACTIVE}
        live_units = [u for u in units if u.active]
        assert {u.item_id for u in live_units} == active_ids  # every active item has units, no others
        assert all(u.embedding is not None for u in live_units) and len(live_units) == active_count
        if completed:
            self.tally.rows_lost += len(set(target) - set(active))
            assert active == target
        else:
            assert active in (committed or {}, target), "a killed import left a mixture"
        landed = active == target

        store = runtime.store(TENANT)
        current = store.current_version()
        manifest = None if current is None else store.read_manifest(current)
        if manifest is not None and manifest.catalog_version > db_version:
            self.tally.ahead += 1
        assert manifest is None or manifest.catalog_version <= db_version, "index ahead of the database"
        assert store.set_aside_folders() == [], "a kill must never corrupt a snapshot"
        problem = runtime.check_index(TENANT, repair=False)
        if problem is None:
            assert manifest is not None and manifest.count == active_count
        else:
            # Only a kill between commit and switch: one catalog version behind, the committed
            # catalog's snapshot complete beside it.
            assert not completed, problem
            assert manifest is None or manifest.catalog_version == db_version - 1, problem
            waiting = [store.read_manifest(v) for v in store.versions() if current is None or v > current]
            assert any(
                m is not None and m.catalog_version == db_version and m.count == active_count for m in waiting
            ), problem
            self.tally.behind += 1
        if completed:
            assert current is not None
            assert not [v for v in store.versions() if v > current]
            assert len(store.versions()) <= KEEP_SNAPSHOTS
            assert not list(store.snapshots.glob(".tmp-*")) and not list(store.root.glob(".CURRENT.*"))
        return landed, problem is not None

    def restore(self) -> None:
        runtime = Runtime(make_settings(self.home, self.url))
        try:
            restored = runtime.restore_index(TENANT)
            assert restored.action == "rolled forward" and not restored.set_aside, restored
            assert runtime.check_index(TENANT, repair=False) is None
        finally:
            runtime.close()
        self.tally.rolled_forward += 1


def crash_and_restart(tmp_path: Path, database_url: str, seed: int, full: bool) -> Tally:
    crasher = Crasher(tmp_path, database_url)
    crasher.upgrade()
    rng = random.Random(seed)
    committed: dict[str, str] | None = None
    for step in schedule(seed, full):
        target = catalog(step.version)
        code, where = crasher.run(step, rng)
        completed = code == 0
        crasher.tally.phases.append(where)
        if completed:
            crasher.tally.completed += 1
        else:
            crasher.tally.kills += 1
        landed, behind = crasher.check(committed, target, completed)
        if landed:
            committed = target
        if behind and step.restore_by == "service":
            crasher.restore()  # what the service's start-up (or first load) does
    return crasher.tally


def report(backend: str, tally: Tally, seconds: float) -> str:
    return (
        f"{backend}: {tally.kills} SIGKILL runs ({', '.join(tally.phases)}), {tally.completed} completed; "
        f"rows lost {tally.rows_lost}, rows duplicated {tally.rows_duplicated}, index ahead of the "
        f"database {tally.ahead}, left behind {tally.behind} (rolled forward by the service "
        f"{tally.rolled_forward}); {seconds:.0f} s"
    )


@pytest.mark.slow
def test_imports_killed_at_every_stage_lose_and_double_nothing_on_sqlite(tmp_path: Path) -> None:
    started = time.monotonic()
    tally = crash_and_restart(tmp_path, "", seed=7, full=True)
    print(report("SQLite", tally, time.monotonic() - started))
    assert tally.kills >= 9 and tally.rows_lost == 0 and tally.rows_duplicated == 0 and tally.ahead == 0
    assert tally.behind >= 2 and tally.rolled_forward >= 1


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_imports_killed_at_every_stage_lose_and_double_nothing_on_postgresql(
    tmp_path: Path, database_url: str
) -> None:
    started = time.monotonic()
    tally = crash_and_restart(tmp_path, database_url, seed=11, full=False)
    print(report("PostgreSQL", tally, time.monotonic() - started))
    assert tally.kills >= 5 and tally.rows_lost == 0 and tally.rows_duplicated == 0 and tally.ahead == 0
    assert tally.behind >= 2 and tally.rolled_forward >= 1


MIGRATION_KILLER = """
import os, signal, sys
from alembic.operations import Operations

create_table = Operations.create_table
made = []


def killing_create_table(self, *args, **kwargs):
    table = create_table(self, *args, **kwargs)
    made.append(table)
    if len(made) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return table


Operations.create_table = killing_create_table
from service.cli import main

sys.argv[0] = "leerpad"
sys.exit(main())
"""


@pytest.mark.slow
def test_a_migration_killed_midway_can_be_run_again(tmp_path: Path) -> None:
    env = {**os.environ, "LEERPAD_HOME": str(tmp_path / "home"), "LEERPAD_DATABASE_URL": ""}
    driver = tmp_path / "kill_migration.py"
    driver.write_text(MIGRATION_KILLER)
    killed = subprocess.run([sys.executable, str(driver), "db", "upgrade"], env=env, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    database = tmp_path / "home" / "leerpad.db"
    with sqlite3.connect(database) as conn:  # the killed upgrade left nothing: it was one transaction
        left = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert left == []
    again = subprocess.run(
        [str(LEERPAD), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr[-2000:]
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        stamp = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert {"tenants", "catalog_items", "employees", "audit_log", "alembic_version"} <= tables
    assert len(stamp) == 1


def test_the_schedule_reaches_every_stage() -> None:
    """Cheap guard that the slow tests above keep covering every pause point of the driver."""
    points = {step.kill for step in schedule(7, full=True)}
    for point in (
        "before-publish",
        "mid-snapshot-write",
        "before-commit",
        "before-switch",
        "mid-current-switch",
    ):
        assert f"at:{point}" in points and f'pause("{point}")' in DRIVER
    assert any(p.startswith("embedding:") for p in points) and any(p.startswith("after:") for p in points)
    assert any(step.restore_by == "service" and step.kill.startswith("at:") for step in schedule(7, True))

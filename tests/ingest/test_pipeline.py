"""The ingest pipeline against both databases: incremental, retiring, atomic on failure."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from ingest.pipeline import IngestError
from models import repositories as repo
from models.tables import CatalogItem, MicroUnit
from recommender.embedding import Encoder
from service.runtime import Runtime

HEADER = ["external_id", "title", "description", "url", "language", "minutes", "skills"]
ROWS = [
    [
        "sql-1",
        "SQL voor beginners",
        "Leer hoe je met SELECT en WHERE gegevens uit een tabel haalt.",
        "https://lms.example/sql-1",
        "nl",
        "20",
        "SQL",
    ],
    [
        "py-1",
        "Python functions",
        "Write small functions with clear names and test them with pytest.",
        "https://lms.example/py-1",
        "en",
        "15",
        "Python;testing",
    ],
    [
        "fb-1",
        "Feedback geven",
        "Zo geef je feedback die aankomt: concreet gedrag, effect en een vraag.",
        "https://lms.example/fb-1",
        "nl",
        "10",
        "feedback",
    ],
]


class CountingEncoder:
    """The real encoder, counting what it is asked to encode (and optionally failing)."""

    def __init__(self, inner: Encoder, fail: bool = False) -> None:
        self.inner, self.fail, self.texts = inner, fail, 0
        self.name, self.dimension = inner.name, inner.dimension

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if self.fail:
            raise RuntimeError("encoder crashed")
        self.texts += len(texts)
        return self.inner.encode(texts)


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(runtime: Runtime, tenant: str, path: Path, encoder: CountingEncoder, **kw: object):
    from ingest.pipeline import ingest_catalog

    return ingest_catalog(
        runtime.sessions,
        lambda: encoder,
        runtime.settings.model,
        runtime.settings.index_root,
        tenant=tenant,
        kind="csv",
        path=path,
        **kw,  # type: ignore[arg-type]
    )


def db_state(runtime: Runtime, tenant: str) -> dict[str, tuple[str, str]]:
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        items = session.scalars(select(CatalogItem).where(CatalogItem.tenant_id == row.id)).all()
        return {i.external_id: (i.content_hash, i.status) for i in items}


def test_first_ingest_creates_embeds_and_publishes(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    counting = CountingEncoder(encoder)
    report = run(runtime, tenant, write_csv(tmp_path / "c.csv", ROWS), counting)
    assert (report.created, report.updated, report.unchanged, report.retired) == (3, 0, 0, 0)
    assert report.embedded == report.units >= 3
    assert counting.texts == report.embedded + report.skills_embedded  # declared skills got vectors too
    assert report.skills_created == 4 and report.items_tagged == 3
    snapshot = runtime.snapshot(tenant)
    assert snapshot is not None and snapshot.count == report.units
    assert runtime.check_index(tenant, repair=False) is None


def test_reingest_unchanged_embeds_nothing_and_keeps_the_snapshot(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)
    run(runtime, tenant, path, CountingEncoder(encoder))
    version = runtime.store(tenant).current_version()
    before = db_state(runtime, tenant)
    counting = CountingEncoder(encoder)
    report = run(runtime, tenant, path, counting)
    assert (report.created, report.updated, report.unchanged, report.retired, report.embedded) == (
        0,
        0,
        3,
        0,
        0,
    )
    assert counting.texts == 0
    assert runtime.store(tenant).current_version() == version
    assert db_state(runtime, tenant) == before


def test_changed_item_is_reembedded_and_missing_item_retired(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    changed = [list(r) for r in ROWS[:2]]
    changed[0][2] = "Leer JOIN, GROUP BY en subqueries op echte tabellen."
    counting = CountingEncoder(encoder)
    report = run(runtime, tenant, write_csv(tmp_path / "b.csv", changed), counting)
    assert (report.created, report.updated, report.unchanged, report.retired) == (0, 1, 1, 1)
    assert report.embedded == counting.texts == 1  # no new declared skills: only the changed unit
    state = db_state(runtime, tenant)
    assert state["fb-1"][1] == "retired"
    snapshot = runtime.snapshot(tenant)
    assert snapshot is not None
    with runtime.sessions() as session:
        retired_units = session.scalars(
            select(MicroUnit.id)
            .join(CatalogItem)
            .where(CatalogItem.external_id == "fb-1", MicroUnit.tenant_id == CatalogItem.tenant_id)
        ).all()
    vector = encoder.encode(["Feedback geven: concreet gedrag, effect en een vraag"])
    found = {hit.unit_id for hit in snapshot.search(vector, 10)[0]}
    assert not found & set(retired_units)
    assert runtime.check_index(tenant, repair=False) is None


def test_failed_import_leaves_database_and_index_as_they_were(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    version = runtime.store(tenant).current_version()
    before = db_state(runtime, tenant)
    changed = [list(r) for r in ROWS] + [
        ["new-1", "Nieuw", "Een nieuw item over Git branches.", "", "nl", "5", ""]
    ]
    changed[1][2] = "A different description that needs a new vector."
    with pytest.raises(RuntimeError, match="encoder crashed"):
        run(runtime, tenant, write_csv(tmp_path / "b.csv", changed), CountingEncoder(encoder, fail=True))
    assert db_state(runtime, tenant) == before
    assert runtime.store(tenant).current_version() == version
    assert runtime.check_index(tenant, repair=False) is None


def test_unusable_file_is_refused_and_changes_nothing(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    before = db_state(runtime, tenant)
    bad = write_csv(tmp_path / "bad.csv", [["x", "y"]], header=["naam", "omschrijving"])
    with pytest.raises(IngestError, match="external_id"):
        run(runtime, tenant, bad, CountingEncoder(encoder))
    assert db_state(runtime, tenant) == before


def test_rejected_rows_name_line_and_field_and_do_not_retire(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][1] = ""  # title missing on line 3
    rows.append(["bad-minutes", "Te lang", "Een item met een onzinnige duur.", "", "nl", "veel", ""])
    report = run(runtime, tenant, write_csv(tmp_path / "a.csv", rows), CountingEncoder(encoder))
    assert report.created == 2
    by_line = {r.line: r for r in report.rejected}
    assert by_line[3].field == "title"
    assert by_line[5].field == "minutes"
    assert report.to_json()["rejected"][0].keys() >= {"line", "reason"}


def test_dry_run_changes_nothing(runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path) -> None:
    counting = CountingEncoder(encoder)
    report = run(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), counting, dry_run=True)
    assert report.created == 3 and report.would_embed >= 3 and report.embedded == 0
    assert counting.texts == 0
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        count = session.scalar(
            select(func.count())
            .select_from(CatalogItem)
            .where(CatalogItem.tenant_id == (row.id if row else -1))
        )
    assert count == 0
    assert runtime.store(tenant).current_version() is None


def test_corrupt_snapshot_is_detected_and_rebuilt_from_the_database(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    report = run(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    store = runtime.store(tenant)
    version = store.current_version()
    index_file = store.snapshots / str(version) / "index.faiss"
    index_file.write_bytes(index_file.read_bytes()[:100])
    runtime.snapshots.forget(store)
    assert runtime.check_index(tenant, repair=False) is not None
    snapshot = runtime.snapshot(tenant)  # repairs
    assert snapshot is not None and snapshot.count == report.units
    assert snapshot.manifest.version > (version or 0)
    assert runtime.check_index(tenant, repair=False) is None


def test_a_rejected_row_keeps_the_stored_item_instead_of_retiring_it(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    rows = [list(r) for r in ROWS]
    rows[2][5] = "heel lang"  # fb-1 now has a bad minutes value
    report = run(runtime, tenant, write_csv(tmp_path / "b.csv", rows), CountingEncoder(encoder))
    assert report.rejected_total == 1 and report.retired == 0
    assert db_state(runtime, tenant)["fb-1"][1] == "active"

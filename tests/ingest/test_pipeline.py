"""The ingest pipeline against both databases: incremental, retiring, atomic on failure."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from ingest.indexing import lexical_from_database
from ingest.pipeline import IngestError, RetireRefused, encode_texts
from models import repositories as repo
from models.repositories import get_tenant
from models.tables import CatalogItem, MicroUnit
from recommender.embedding import Encoder
from recommender.index import LEXICAL_FILE, MANIFEST_FILE
from service.core.runtime import Runtime
from tests.support.catalogs import HEADER, ROWS, catalog_rows, write_csv
from tests.support.encoders import CountingEncoder, SessionEncoder
from tests.support.ingest import db_state, run_ingest


def test_first_ingest_creates_embeds_and_publishes(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    counting = CountingEncoder(encoder)
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "c.csv", ROWS), counting)
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
    run_ingest(runtime, tenant, path, CountingEncoder(encoder))
    version = runtime.store(tenant).current_version()
    before = db_state(runtime, tenant)
    counting = CountingEncoder(encoder)
    report = run_ingest(runtime, tenant, path, counting)
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


def test_an_lms_url_is_stored_and_a_changed_one_is_an_update_that_embeds_nothing(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    """The item's hash holds lms_url only when one is given: a catalog imported before the column
    existed stays unchanged, and a new or changed lms_url is an update (the embedded texts are not)."""
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    header = [*HEADER, "lms_url"]
    moodle = "https://moodle.example/course/view.php?id="
    same = run_ingest(
        runtime,
        tenant,
        write_csv(tmp_path / "b.csv", [[*r, ""] for r in ROWS], header),
        CountingEncoder(encoder),
    )
    assert (same.updated, same.unchanged) == (0, 3)
    rows = [[*r, f"{moodle}{n}"] for n, r in enumerate(ROWS, start=2)]
    counting = CountingEncoder(encoder)
    given = run_ingest(runtime, tenant, write_csv(tmp_path / "c.csv", rows, header), counting)
    assert (given.updated, given.unchanged, counting.texts) == (3, 0, 0)
    rows[0][-1] = f"{moodle}9"
    changed = run_ingest(
        runtime, tenant, write_csv(tmp_path / "d.csv", rows, header), CountingEncoder(encoder)
    )
    assert (changed.updated, changed.unchanged, changed.embedded) == (1, 2, 0)
    with runtime.sessions() as session:
        row = get_tenant(session, tenant)
        assert row is not None
        found = select(CatalogItem.external_id, CatalogItem.lms_url).where(CatalogItem.tenant_id == row.id)
        stored = dict(session.execute(found).all())  # this test's tenant: the database is the session's
    assert stored == {ROWS[0][0]: f"{moodle}9", ROWS[1][0]: f"{moodle}3", ROWS[2][0]: f"{moodle}4"}


def test_changed_item_is_reembedded_and_missing_item_retired(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    changed = [list(r) for r in ROWS[:2]]
    changed[0][2] = "Leer JOIN, GROUP BY en subqueries op echte tabellen."
    counting = CountingEncoder(encoder)
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "b.csv", changed), counting)
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
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    version = runtime.store(tenant).current_version()
    before = db_state(runtime, tenant)
    changed = [list(r) for r in ROWS] + [
        ["new-1", "Nieuw", "Een nieuw item over Git branches.", "", "nl", "5", ""]
    ]
    changed[1][2] = "A different description that needs a new vector."
    with pytest.raises(RuntimeError, match="encoder crashed"):
        run_ingest(
            runtime, tenant, write_csv(tmp_path / "b.csv", changed), CountingEncoder(encoder, fail=True)
        )
    assert db_state(runtime, tenant) == before
    assert runtime.store(tenant).current_version() == version
    assert runtime.check_index(tenant, repair=False) is None


def test_unusable_file_is_refused_and_changes_nothing(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    before = db_state(runtime, tenant)
    bad = write_csv(tmp_path / "bad.csv", [["x", "y"]], header=["naam", "omschrijving"])
    with pytest.raises(IngestError, match="external_id"):
        run_ingest(runtime, tenant, bad, CountingEncoder(encoder))
    assert db_state(runtime, tenant) == before


def test_rejected_rows_name_line_and_field_and_do_not_retire(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][1] = ""  # title missing on line 3
    rows.append(["bad-minutes", "Te lang", "Een item met een onzinnige duur.", "", "nl", "veel", ""])
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", rows), CountingEncoder(encoder))
    assert report.created == 2
    by_line = {r.line: r for r in report.rejected}
    assert by_line[3].field == "title"
    assert by_line[5].field == "minutes"
    assert report.to_json()["rejected"][0].keys() >= {"line", "reason"}


def test_dry_run_changes_nothing(runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path) -> None:
    counting = CountingEncoder(encoder)
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), counting, dry_run=True)
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
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
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
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    rows = [list(r) for r in ROWS]
    rows[2][5] = "heel lang"  # fb-1 now has a bad minutes value
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "b.csv", rows), CountingEncoder(encoder))
    assert report.rejected_total == 1 and report.retired == 0
    assert db_state(runtime, tenant)["fb-1"][1] == "active"


def units_of(runtime: Runtime, tenant: str, external_id: str) -> set[int]:
    """The unit ids of one of the tenant's items."""
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        return set(
            session.scalars(
                select(MicroUnit.id)
                .join(CatalogItem, CatalogItem.id == MicroUnit.item_id)
                .where(CatalogItem.tenant_id == row.id, CatalogItem.external_id == external_id)
            ).all()
        )


def test_ingest_stores_a_lexical_index_that_searches_like_one_built_from_the_database(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    snapshot = runtime.snapshot(tenant)
    assert snapshot is not None and (snapshot.folder / LEXICAL_FILE).is_file()
    assert snapshot.manifest.lexical_count == snapshot.manifest.count == report.units
    stored = snapshot.lexical()
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        rebuilt = lexical_from_database(session, row.id)
    assert stored is not None
    for query in ("SQL tabel", "feedback geven", "Python functions pytest", "gegevens", "vraag"):
        assert stored.search(query, 10) == rebuilt.search(query, 10)
    assert stored.search("pytest", 10) and {u for u, _ in stored.search("pytest", 10)} <= units_of(
        runtime, tenant, "py-1"
    )

    def no_database(*_: object, **__: object) -> None:
        raise AssertionError("the stored lexical index must be used")

    monkeypatch.setattr("service.core.runtime.lexical_from_database", no_database)
    served = runtime.lexical(tenant)
    assert served is not None and served.search("SQL tabel", 10) == rebuilt.search("SQL tabel", 10)


def test_a_newly_ingested_unit_is_found_by_a_word_only_it_contains(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    before = runtime.lexical(tenant)
    assert before is not None and before.search("zeefdruk", 5) == []
    new = ["zd-1", "Zeefdruk", "Drukken met een zeef op textiel en papier.", "", "nl", "10", ""]
    run_ingest(runtime, tenant, write_csv(tmp_path / "b.csv", [*ROWS, new]), CountingEncoder(encoder))
    after = runtime.lexical(tenant)
    assert after is not None and after is not before
    found = after.search("zeefdruk", 5)
    assert found and {unit for unit, _ in found} <= units_of(runtime, tenant, "zd-1")
    assert runtime.check_index(tenant, repair=False) is None


def test_corrupt_lexical_file_is_detected_and_rebuilt_from_the_database(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    store = runtime.store(tenant)
    version = store.current_version()
    lexical_file = store.snapshots / str(version) / LEXICAL_FILE
    lexical_file.write_bytes(lexical_file.read_bytes()[:100])
    with caplog.at_level(logging.ERROR, logger="leerpad"):
        index = runtime.lexical(tenant)  # repairs
    assert "lexical index of" in caplog.text and "corrupt" in caplog.text
    assert index is not None and index.size == report.units and index.search("feedback", 5)
    snapshot = runtime.snapshot(tenant)
    assert snapshot is not None and snapshot.manifest.version > (version or 0)
    assert snapshot.lexical() is not None
    assert runtime.check_index(tenant, repair=False) is None


def test_snapshot_without_a_lexical_file_is_served_from_the_database_until_repaired(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    store = runtime.store(tenant)
    version = store.current_version()
    folder = store.snapshots / str(version)
    # the layout published before BM25 indexes were stored: no file, no manifest fields
    (folder / LEXICAL_FILE).unlink()
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    del manifest["lexical_checksum"], manifest["lexical_count"]
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    runtime.snapshots.forget(store)
    assert "no stored lexical index" in (runtime.check_index(tenant, repair=False) or "")
    with caplog.at_level(logging.WARNING, logger="leerpad"):
        index = runtime.lexical(tenant)
    assert "no stored lexical index" in caplog.text
    assert index is not None and {u for u, _ in index.search("pytest", 5)} <= units_of(
        runtime, tenant, "py-1"
    )
    assert index.search("pytest", 5) and store.current_version() == version  # served, not rebuilt
    assert runtime.check_index(tenant, repair=True) is None
    repaired = runtime.snapshot(tenant)
    assert repaired is not None and repaired.manifest.version > (version or 0)
    assert repaired.lexical() is not None


def test_index_check_reports_a_missing_or_miscounted_lexical_file(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    store = runtime.store(tenant)
    folder = store.snapshots / str(store.current_version())
    manifest_file = folder / MANIFEST_FILE
    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps({**manifest, "lexical_count": report.units + 1}))
    runtime.snapshots.forget(store)
    problem = runtime.check_index(tenant, repair=False)
    assert (
        problem == f"snapshot's lexical index holds {report.units + 1} units, its FAISS index {report.units}"
    )
    manifest_file.write_text(json.dumps(manifest))
    (folder / LEXICAL_FILE).unlink()
    runtime.snapshots.forget(store)
    assert "missing" in (runtime.check_index(tenant, repair=False) or "")


def test_an_import_that_would_retire_most_of_a_source_is_refused_and_changes_nothing(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    """A second file of the same kind without its own source name once retired the first one's
    items silently; now it is refused, naming the source, the count and some of the items."""
    run_ingest(
        runtime, tenant, write_csv(tmp_path / "a.csv", catalog_rows("a", 10)), CountingEncoder(encoder)
    )
    version = runtime.store(tenant).current_version()
    before = db_state(runtime, tenant)
    other = write_csv(tmp_path / "b.csv", catalog_rows("b", 3))
    counting = CountingEncoder(encoder)
    with pytest.raises(RetireRefused) as refused:
        run_ingest(runtime, tenant, other, counting)
    message = str(refused.value)
    assert "source 'csv'" in message and "retire 10 of its 10 active items" in message
    assert "a-0 'Cursus a 0'" in message and "and 7 more" in message and "--allow-retire" in message
    report = refused.value.report
    assert report is not None and report.retired == 10
    assert [r.external_id for r in report.retired_items] == [f"a-{n}" for n in range(10)]
    assert report.to_json()["retired_items"][0] == {"external_id": "a-0", "title": "Cursus a 0"}
    assert counting.texts == 0  # refused before anything was embedded
    assert db_state(runtime, tenant) == before
    assert runtime.store(tenant).current_version() == version

    dry = run_ingest(runtime, tenant, other, CountingEncoder(encoder), dry_run=True)
    assert dry.retired == 10 and dry.retire_refusal and "retire 10 of its 10" in dry.retire_refusal
    assert db_state(runtime, tenant) == before

    allowed = run_ingest(runtime, tenant, other, CountingEncoder(encoder), allow_retire=True)
    assert (allowed.created, allowed.retired, allowed.retire_refusal) == (3, 10, None)
    assert {k for k, (_, status) in db_state(runtime, tenant).items() if status == "active"} == {
        "b-0",
        "b-1",
        "b-2",
    }
    assert runtime.check_index(tenant, repair=False) is None


@pytest.mark.parametrize(
    ("stored", "kept", "refused"),
    [
        (25, 20, False),  # 5 of 25: 20%, not over it
        (25, 19, True),  # 6 of 25: 24%
        (5, 1, False),  # 4 of 5: a handful, whatever the share
        (6, 1, True),  # 5 of 6
    ],
)
def test_retiring_a_few_items_or_up_to_a_fifth_needs_no_permission(
    stored: int, kept: int, refused: bool, runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    rows = catalog_rows("x", stored)
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", rows), CountingEncoder(encoder))
    report = run_ingest(
        runtime, tenant, write_csv(tmp_path / "b.csv", rows[:kept]), CountingEncoder(encoder), dry_run=True
    )
    assert report.retired == stored - kept
    assert (report.retire_refusal is not None) == refused


def test_embedding_with_a_progress_bar_gives_each_text_its_own_vector(
    encoder: SessionEncoder, capsys: pytest.CaptureFixture[str]
) -> None:
    """With progress the texts are encoded shortest first, a chunk at a time: every vector must
    still land on its own text."""
    texts = [f"Les {n}: " + "feedback geven en ontvangen " * (n * 7 % 23 + 1) for n in range(40)]
    with encoder.computing():  # each chunk through the model, padded to its own longest text
        plain = encode_texts(encoder, texts, "embedding test", progress=False)
        shown = encode_texts(encoder, texts, "embedding test", progress=True)
    assert shown.shape == plain.shape == (40, encoder.dimension)
    assert np.allclose(shown, plain, atol=1e-4)
    bar = capsys.readouterr().err
    assert "embedding test" in bar and "40/40" in bar

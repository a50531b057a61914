"""Keep a tenant's published FAISS snapshot, and the BM25 index stored with it, in step with its
catalog in the database.

The database is the truth: every active unit's vector and text is stored there, so a snapshot can
always be rebuilt without re-encoding anything.

Crash safety. An ingest writes its snapshot before its database commit and points CURRENT at it
only after the commit, all under the store's writer lock. A process killed at any point therefore
leaves CURRENT either matching the committed database or one step behind it (killed between the
commit and the switch), never ahead of it; and perhaps a complete snapshot folder newer than
CURRENT, or temporary files. `settle_index` (run by every ingest before it writes) and
`restore_index` (run by the service when a snapshot is refused or does not match) finish or undo
that: a newer snapshot that matches the committed catalog becomes current, one that does not is
discarded, temporary files are removed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from models import repositories as repo
from models import taxonomy_repository as tax
from models.tables import Tenant
from recommender.catalog_columns import CatalogColumns, UnitRow
from recommender.catalog_tags import ItemTag, TagTable
from recommender.embedding import vectors_from_bytes
from recommender.index import IndexCorruptError, Manifest, Snapshot, SnapshotStore
from recommender.lexical import LexicalIndex

log = logging.getLogger("leerpad")


def tenant_store(index_root: Path, tenant_slug: str) -> SnapshotStore:
    return SnapshotStore(index_root / tenant_slug)


def lexical_from_database(
    session: Session, tenant_id: int, unit_ids: Collection[int] | None = None
) -> LexicalIndex:
    """BM25 over the texts of the active units the session sees, only those in `unit_ids` when given."""
    docs = tax.active_unit_texts(session, tenant_id)
    if unit_ids is not None:
        docs = [doc for doc in docs if doc[0] in unit_ids]
    return LexicalIndex.build(docs)


def columns_from_database(session: Session, tenant_id: int) -> CatalogColumns:
    """The catalog columns of every active unit of an active item the session sees."""
    return CatalogColumns.build(
        [
            UnitRow(
                unit_id=card.unit_id,
                item_id=card.item_id,
                unit_title=card.unit_title,
                minutes=card.minutes,
                position=card.position,
                anchor=card.anchor,
                item_title=card.item_title,
                url=card.url,
                language=card.language,
                format=card.format,
                level=card.level,
                rating=card.rating,
                updated_at=card.updated_at,
                source=card.source,
                external_id=card.external_id,
                minutes_known=card.minutes_known,
            )
            for card in repo.active_unit_cards(session, tenant_id)
        ]
    )


def tags_from_database(session: Session, tenant_id: int, columns: CatalogColumns) -> TagTable:
    """The tag table of the tenant's tags as the session sees them, over these columns' rows."""
    return TagTable.build(
        columns,
        [ItemTag(*row) for row in tax.active_item_tags(session, tenant_id)],
        tax.rejected_item_tags(session, tenant_id),
    )


def publish_from_database(
    session: Session,
    tenant: Tenant,
    store: SnapshotStore,
    *,
    model: str,
    empty_dimension: Callable[[], int],
    locked: bool = False,
    activate: bool = True,
) -> Manifest:
    """Write a snapshot of every active unit vector the session sees, tagged with the catalog version,
    with the BM25 index of exactly those units, their texts read in the same session.

    The dimension is that of the stored vectors; `empty_dimension` (which may load the encoder) is
    asked only when no vector is stored. With `activate=False` CURRENT is not moved: the caller
    commits the session first, then calls `store.activate(manifest.version)`."""
    ids, blobs, models_used = repo.active_unit_vectors(session, tenant.id)
    stale = models_used - {model}
    if stale:
        raise ValueError(
            f"units embedded with {sorted(stale)} cannot join an index of {model}: "
            f"run `leerpad index reembed --tenant {tenant.slug}` once after changing the model"
        )
    dimension = len(blobs[0]) // 4 if blobs else empty_dimension()
    vectors = vectors_from_bytes(blobs, dimension)
    id_array = np.asarray(ids, dtype=np.int64)
    lexical = lexical_from_database(session, tenant.id, set(ids))
    columns = columns_from_database(session, tenant.id)
    publish = store.publish_locked if locked else store.publish
    return publish(
        id_array,
        vectors,
        model=model,
        dimension=dimension,
        catalog_version=tenant.index_version,
        lexical=lexical,
        columns=columns,
        activate=activate,
    )


class PendingSnapshot:
    """The snapshot a writer publishes inside its transaction: current only once that has committed."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store
        self.version: int | None = None

    def publish(
        self, session: Session, tenant: Tenant, *, model: str, empty_dimension: Callable[[], int]
    ) -> Manifest:
        """Write the snapshot of what `session` holds now, not yet current (the writer lock is held)."""
        manifest = publish_from_database(
            session,
            tenant,
            self.store,
            model=model,
            empty_dimension=empty_dimension,
            locked=True,
            activate=False,
        )
        self.version = manifest.version
        return manifest


@contextmanager
def writer_transaction(
    factory: sessionmaker[Session], store: SnapshotStore
) -> Iterator[tuple[Session, PendingSnapshot]]:
    """One writer at a time (the store's lock), in one session: a snapshot published through the
    yielded PendingSnapshot becomes current only after the commit, so it is never ahead of the
    database; on any failure before the commit the session is rolled back and that snapshot
    discarded. Committed but not switched (killed in between): the next writer's `settle_index`
    switches to it."""
    with store.writer_lock():
        session = factory()
        pending = PendingSnapshot(store)
        committed = False
        try:
            yield session, pending
            session.commit()
            committed = True
            if pending.version is not None:
                store.activate(pending.version)
        except BaseException:
            if not committed:
                session.rollback()
                if pending.version is not None:
                    store.discard(pending.version)
            raise
        finally:
            session.close()


def snapshot_matches(session: Session, tenant: Tenant, snapshot: Snapshot | None) -> str | None:
    """Why `snapshot` is not a faithful copy of the tenant's catalog, or None when it is."""
    if snapshot is None:
        return "no index snapshot published"
    if snapshot.manifest.catalog_version != tenant.index_version:
        return (
            f"snapshot is of catalog version {snapshot.manifest.catalog_version}, "
            f"the database is at {tenant.index_version}"
        )
    units = repo.count_active_units(session, tenant.id)
    if snapshot.count != units:
        return f"snapshot holds {snapshot.count} vectors, the database {units} active units"
    return snapshot.lexical_problem()


def manifest_matches(session: Session, tenant: Tenant, manifest: Manifest | None) -> str | None:
    """`snapshot_matches` from a manifest alone (no index loaded, no checksum verified): cheap enough
    for the start of every ingest. A tenant that never had a catalog needs no snapshot."""
    if manifest is None:
        return "no index snapshot published" if tenant.index_version else None
    if manifest.catalog_version != tenant.index_version:
        return f"snapshot is of catalog version {manifest.catalog_version}, the database is at {tenant.index_version}"
    units = repo.count_active_units(session, tenant.id)
    if manifest.count != units:
        return f"snapshot holds {manifest.count} vectors, the database {units} active units"
    if manifest.lexical_checksum is None or manifest.lexical_count != manifest.count:
        return "snapshot has no stored lexical index of its units"
    return None


def settle_index(session: Session, tenant: Tenant, store: SnapshotStore) -> str | None:
    """Finish or undo what an ingest killed midway left in `store`; the caller holds the writer lock
    and `session` sees the committed catalog (nothing written yet).

    Temporary files are removed. Of the snapshots newer than CURRENT (written by a run that was killed
    before it switched), the newest whose manifest matches the committed catalog becomes current (that
    run committed); the others never became valid and are discarded. Returns why CURRENT still does not
    match the database (None when it does): the ingest then publishes even when nothing changed, so
    that running it again always ends with an index that matches."""
    for leftover in store.remove_leftovers():
        log.warning(
            "index of %s: removed %s, left by a writer that did not finish", tenant.slug, leftover.name
        )
    current = store.current_version()
    newer = [v for v in sorted(store.versions(), reverse=True) if current is None or v > current]
    chosen = next(
        (v for v in newer if manifest_matches(session, tenant, store.read_manifest(v)) is None), None
    )
    for version in newer:
        if version != chosen:
            log.warning("index of %s: discarding snapshot %s, never committed", tenant.slug, version)
            store.discard(version)
    if chosen is not None:
        log.warning(
            "index of %s: snapshot %s was committed but not switched to; switching now", tenant.slug, chosen
        )
        store.activate(chosen)
    current = store.current_version()
    return manifest_matches(session, tenant, None if current is None else store.read_manifest(current))


@dataclass(frozen=True)
class Restored:
    """What `restore_index` did: the version now current and how it got there."""

    version: int
    action: str  # "kept", "rolled forward", "fell back", "rebuilt"
    set_aside: tuple[str, ...] = ()


def restore_index(
    session: Session,
    tenant: Tenant,
    store: SnapshotStore,
    *,
    model: str,
    empty_dimension: Callable[[], int],
) -> Restored:
    """Make CURRENT a verified snapshot that matches the database; the caller holds the writer lock.

    Every snapshot, newest first, is loaded and verified (FAISS and BM25 checksums). One that fails is
    set aside (renamed to `<version>.corrupt-<time>`, kept for an operator). The newest intact one that
    matches the database becomes current: a newer one than CURRENT was committed by an ingest killed
    before it switched; an older one is a previous snapshot of the same catalog, served again. Intact
    snapshots newer than the one chosen that do not match were never committed and are discarded. When
    none matches, a new snapshot is built from the database (no re-encoding)."""
    store.remove_leftovers()
    current = store.current_version()
    set_aside: list[str] = []
    for version in sorted(store.versions(), reverse=True):
        try:
            snapshot = store.load(version)
            if snapshot is None:
                continue
            snapshot.lexical()  # verifies the BM25 file's bytes too
        except IndexCorruptError as exc:
            folder = store.set_aside(version, str(exc))
            log.error("index of %s: %s; set aside as %s", tenant.slug, exc, folder)
            if folder is not None:
                set_aside.append(folder.name)
            continue
        problem = snapshot_matches(session, tenant, snapshot)
        if problem is None:
            if version == current:
                return Restored(version, "kept", tuple(set_aside))
            store.activate(version)
            action = "fell back" if current is not None and version < current else "rolled forward"
            log.warning(
                "index of %s: %s to snapshot %s, which matches the database", tenant.slug, action, version
            )
            return Restored(version, action, tuple(set_aside))
        if current is None or version > current:
            log.warning("index of %s: discarding snapshot %s (%s)", tenant.slug, version, problem)
            store.discard(version)
    manifest = publish_from_database(
        session, tenant, store, model=model, empty_dimension=empty_dimension, locked=True
    )
    log.warning("index of %s: rebuilt from the database as snapshot %s", tenant.slug, manifest.version)
    return Restored(manifest.version, "rebuilt", tuple(set_aside))

"""Keep a tenant's published FAISS snapshot, and the BM25 index stored with it, in step with its
catalog in the database.

The database is the truth: every active unit's vector and text is stored there, so a snapshot can
always be rebuilt without re-encoding anything.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from models import repositories as repo
from models import taxonomy_repository as tax
from models.tables import Tenant
from recommender.embedding import vectors_from_bytes
from recommender.index import Manifest, Snapshot, SnapshotStore
from recommender.lexical import LexicalIndex


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


def publish_from_database(
    session: Session,
    tenant: Tenant,
    store: SnapshotStore,
    *,
    model: str,
    empty_dimension: Callable[[], int],
    locked: bool = False,
) -> Manifest:
    """Write a snapshot of every active unit vector the session sees, tagged with the catalog version,
    with the BM25 index of exactly those units, their texts read in the same session.

    The dimension is that of the stored vectors; `empty_dimension` (which may load the encoder) is
    asked only when no vector is stored."""
    ids, blobs, models_used = repo.active_unit_vectors(session, tenant.id)
    stale = models_used - {model}
    if stale:
        raise ValueError(f"units embedded with {sorted(stale)} cannot join an index of {model}; re-ingest")
    dimension = len(blobs[0]) // 4 if blobs else empty_dimension()
    vectors = vectors_from_bytes(blobs, dimension)
    id_array = np.asarray(ids, dtype=np.int64)
    lexical = lexical_from_database(session, tenant.id, set(ids))
    publish = store.publish_locked if locked else store.publish
    return publish(
        id_array,
        vectors,
        model=model,
        dimension=dimension,
        catalog_version=tenant.index_version,
        lexical=lexical,
    )


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

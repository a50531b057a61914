"""What a process holds once: settings, the database engine, the encoder, the loaded snapshots and
each tenant's active ranking model.

With LEERPAD_SNAPSHOT_STORE set, snapshots are also shared through that store
(`ingest.shared_snapshots`): whatever this process publishes it uploads and announces, and before
using a tenant's snapshot it looks, at most every LEERPAD_SNAPSHOT_POLL_SECONDS, whether the store
announces another one, and if so downloads and switches to it (requests already running finish on
the old one). A store that cannot be reached or a download that fails its checksums is logged and
the snapshot in hand is served on.

The API's lifespan, the CLI and the worker each build one Runtime; tests build one per database
and share one encoder across the whole session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingest.indexing import (
    Restored,
    columns_from_database,
    lexical_from_database,
    publish_from_database,
    restore_index,
    snapshot_matches,
    tags_from_database,
    tenant_store,
)
from ingest.pipeline import IngestError, IngestReport, ingest_catalog
from ingest.shared_snapshots import ObjectStore, follow_store, open_store, publish_to_store
from models import ranking_models_repository as ranking_repo
from models import repositories as repo
from models.db import make_engine, make_session_factory, ping, transaction
from models.migrate import upgrade
from models.ranking_models_repository import ActiveRef
from models.tables import Tenant
from recommender.catalog_columns import CatalogColumns
from recommender.catalog_tags import TagTable
from recommender.embedding import Calibration, Encoder, calibration, search_calibration, search_lexical_weight
from recommender.index import IndexCorruptError, Snapshot, SnapshotCache, SnapshotStore
from recommender.lexical import LexicalIndex
from recommender.ranking_model import LearnedModel
from service.core.metrics import record_ingest
from service.core.settings import Settings

IndexResult = TypeVar("IndexResult")
# With a shared store, how long a snapshot one catalog version behind the database still counts as
# usable: the publisher commits, then uploads and announces, and each replica then downloads within
# its poll interval (seconds for 100,000 units). Without it every replica's /readyz would fail at
# once after each import, and a replica starting then would rebuild a snapshot of its own.
FOLLOW_GRACE_SECONDS = 60.0

log = logging.getLogger("leerpad")


class Runtime:
    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        settings.prepare()
        self.engine: Engine = make_engine(
            settings.db_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
        )
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self.snapshots = SnapshotCache()
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self._lexical: dict[str, tuple[int, LexicalIndex]] = {}
        self._lexical_lock = threading.Lock()
        self._models: dict[int, tuple[ActiveRef, LearnedModel | None]] = {}  # tenant id -> (row, model)
        self._models_lock = threading.Lock()
        # tenant slug -> (snapshot version, columns) and -> (snapshot version, tags version, table)
        self._columns: dict[str, tuple[int, CatalogColumns]] = {}
        self._tags: dict[str, tuple[int, int, TagTable]] = {}
        self._catalog_lock = threading.Lock()
        self.shared: ObjectStore | None = (
            open_store(settings.snapshot_store, settings.s3_endpoint_url) if settings.snapshot_store else None
        )
        self._looked: dict[str, float] = {}  # tenant -> when the shared store was last asked
        self._behind_since: dict[str, float] = {}  # tenant -> when its snapshot was first seen behind

    def migrate(self) -> None:
        upgrade(self.settings.db_url)

    def encoder(self) -> Encoder:
        """The encoder, loaded on first use and then kept (thread-safe)."""
        if self._encoder is None:
            with self._encoder_lock:
                if self._encoder is None:
                    log.info("loading embedding model %s", self.settings.model)
                    self._encoder = Encoder(self.settings.embedding_model or None)
        return self._encoder

    @property
    def encoder_loaded(self) -> bool:
        return self._encoder is not None

    @property
    def encoder_model(self) -> str:
        """The model this process encodes with: the loaded encoder's, else the configured one (the
        same name: the encoder is built from the setting), so asking never loads the model."""
        return self._encoder.name if self._encoder is not None else self.settings.model

    def calibration(self) -> Calibration:
        """The cosine scale of the encoder (a skill label against a text); see recommender.embedding."""
        return calibration(self.encoder_model)

    def search_calibration(self) -> Calibration:
        """The cosine scale of the encoder for a free-text question against a text."""
        return search_calibration(self.encoder_model)

    def search_lexical_weight(self) -> float:
        """How much BM25 weighs against the encoder's cosine in free-text search."""
        return search_lexical_weight(self.encoder_model)

    def model_problem(self, snapshot: Snapshot | None) -> str | None:
        """Why `snapshot` must not be searched with this process's vectors: it was built with another
        model (two models' vectors may share a width and still mean nothing to each other)."""
        if snapshot is None or snapshot.manifest.model == self.encoder_model:
            return None
        return (
            f"index built with {snapshot.manifest.model}, the service encodes with {self.encoder_model}: "
            "run leerpad index reembed"
        )

    def dense_snapshot(self, tenant_slug: str) -> Snapshot | None:
        """The tenant's snapshot for dense search: None (and an error logged) when it was built with
        another model than the encoder's, so a request falls back to BM25 rather than to nonsense."""
        snapshot = self.snapshot(tenant_slug)
        problem = self.model_problem(snapshot)
        if problem:
            log.error("index of %s not searched by meaning: %s", tenant_slug, problem)
            return None
        return snapshot

    def store(self, tenant_slug: str) -> SnapshotStore:
        return tenant_store(self.settings.index_root, tenant_slug)

    def follow(self, tenant_slug: str, *, now: bool = False) -> int | None:
        """Switch to the snapshot the shared store announces, if another (see the module docstring);
        asked at most every `snapshot_poll_seconds` unless `now`. Returns the version switched to."""
        if self.shared is None:
            return None
        moment = time.monotonic()
        last = self._looked.get(tenant_slug)
        if not now and last is not None and moment - last < self.settings.snapshot_poll_seconds:
            return None
        self._looked[tenant_slug] = moment
        try:
            version = follow_store(self.store(tenant_slug), self.shared, tenant_slug)
        except IndexCorruptError as exc:
            log.error(
                "index of %s: shared snapshot not taken (%s); serving the one in hand", tenant_slug, exc
            )
            return None
        except Exception as exc:  # an unreachable store must not stop the service answering
            log.error("index of %s: snapshot store unusable (%s: %s)", tenant_slug, type(exc).__name__, exc)
            return None
        if version is not None:
            log.info("index of %s: switched to shared snapshot %s", tenant_slug, version)
        return version

    def announce(self, tenant_slug: str) -> int | None:
        """Upload the tenant's current snapshot to the shared store and announce it, when newer than
        what the store announces; returns the version announced (None: none, or no store)."""
        if self.shared is None:
            return None
        version = publish_to_store(self.store(tenant_slug), self.shared, tenant_slug)
        if version is not None:
            log.info("index of %s: snapshot %s announced in the shared store", tenant_slug, version)
        return version

    def ingest(
        self,
        tenant: str,
        kind: str,
        path: Path,
        *,
        source_name: str | None = None,
        dry_run: bool = False,
        allow_retire: bool = False,
        progress: bool = False,
    ) -> IngestReport:
        """Import a catalog (ingest.pipeline) and count it in the metrics (service.core.metrics); with a
        shared store, start from its newest snapshot and announce the one written."""
        self.follow(tenant, now=True)
        try:
            report = ingest_catalog(
                self.sessions,
                self.encoder,
                self.settings.model,
                self.settings.index_root,
                tenant=tenant,
                kind=kind,
                path=path,
                source_name=source_name,
                dry_run=dry_run,
                allow_retire=allow_retire,
                progress=progress,
            )
        except IngestError:
            record_ingest(kind, "refused")  # the file could not be used: nothing changed
            raise
        except Exception:
            record_ingest(kind, "error")
            raise
        record_ingest(kind, "dry_run" if dry_run else "ok", report)
        if not dry_run:
            self.announce(tenant)
        return report

    def snapshot(self, tenant_slug: str) -> Snapshot | None:
        """The tenant's current snapshot. One that fails its checksums at load is set aside and
        replaced first (`restore_index`): by a previous snapshot that matches the database, or by
        one rebuilt from it."""
        self.follow(tenant_slug)
        store = self.store(tenant_slug)
        try:
            return self.snapshots.get(store)
        except IndexCorruptError as exc:
            log.error("index of %s is corrupt (%s); setting it aside and restoring it", tenant_slug, exc)
            self.restore_index(tenant_slug)
            return self.snapshots.get(store)

    def lexical(self, tenant_slug: str) -> LexicalIndex | None:
        """The tenant's BM25 index over unit texts: the one stored with its current snapshot, loaded
        once per snapshot; a corrupt one is set aside and replaced first, as `snapshot` does."""
        try:
            return self._current_lexical(tenant_slug)
        except IndexCorruptError as exc:
            log.error(
                "lexical index of %s is corrupt (%s); setting it aside and restoring it", tenant_slug, exc
            )
            self.restore_index(tenant_slug)
            return self._current_lexical(tenant_slug)

    def _current_lexical(self, tenant_slug: str) -> LexicalIndex | None:
        snapshot = self.snapshot(tenant_slug)
        if snapshot is None:
            return None
        version = snapshot.manifest.version
        cached = self._lexical.get(tenant_slug)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lexical_lock:
            cached = self._lexical.get(tenant_slug)
            if cached is not None and cached[0] == version:
                return cached[1]
            index = snapshot.lexical()
            if index is None:
                # Building takes about 22 s per 100,000 units; a rebuild stores it with the snapshot.
                log.warning(
                    "snapshot %s of %s has no stored lexical index; building it from the database "
                    "(`leerpad index rebuild` stores one)",
                    version,
                    tenant_slug,
                )
                with self.sessions() as session:
                    tenant = repo.get_tenant(session, tenant_slug)
                    index = lexical_from_database(session, tenant.id) if tenant else LexicalIndex.build([])
            self._lexical[tenant_slug] = (version, index)
            return index

    def catalog(self, session: Session, tenant: Tenant) -> tuple[int, CatalogColumns, TagTable, int] | None:
        """What a path request reads of the tenant's catalog: the columns of its current snapshot
        (mapped, shared by the workers) and the tag table over them, rebuilt from the database only
        when the snapshot or the tenant's tags version moved, with the snapshot's version. None when
        nothing is published; then the tags version the tag table holds. A snapshot published before
        columns were stored gets them built from the database once."""
        snapshot = self.snapshot(tenant.slug)
        if snapshot is None:
            return None
        version, tags_version = snapshot.manifest.version, tenant.tags_version or 0
        cached_columns = self._columns.get(tenant.slug)
        cached_tags = self._tags.get(tenant.slug)
        if (
            cached_columns is not None
            and cached_columns[0] == version
            and cached_tags is not None
            and cached_tags[:2] == (version, tags_version)
        ):
            return version, cached_columns[1], cached_tags[2], tags_version
        with self._catalog_lock:
            cached_columns = self._columns.get(tenant.slug)
            if cached_columns is None or cached_columns[0] != version:
                columns = self._snapshot_columns(snapshot, session, tenant)
                cached_columns = self._columns[tenant.slug] = (version, columns)
            cached_tags = self._tags.get(tenant.slug)
            if cached_tags is None or cached_tags[:2] != (version, tags_version):
                table = tags_from_database(session, tenant.id, cached_columns[1])
                cached_tags = self._tags[tenant.slug] = (version, tags_version, table)
            return version, cached_columns[1], cached_tags[2], tags_version

    def _snapshot_columns(self, snapshot: Snapshot, session: Session, tenant: Tenant) -> CatalogColumns:
        try:
            columns = snapshot.columns()
        except IndexCorruptError as exc:
            log.error("catalog columns of %s are corrupt (%s); setting them aside", tenant.slug, exc)
            self.restore_index(tenant.slug)
            restored = self.snapshot(tenant.slug)
            columns = restored.columns() if restored is not None else None
        if columns is None:
            log.warning(
                "snapshot %s of %s has no stored catalog columns; building them from the database "
                "(`leerpad index rebuild` stores them)",
                snapshot.manifest.version,
                tenant.slug,
            )
            columns = columns_from_database(session, tenant.id)
        return columns

    def ranking_model(self, session: Session, tenant_id: int) -> LearnedModel | None:
        """The tenant's active learned model, None for the rules. Each call reads which row is active
        (one small query, so a promotion or rollback in any process is seen at once); the stored
        parameters are parsed only when that row changes. A damaged row is logged and the rules rank."""
        ref = ranking_repo.active_ref(session, tenant_id)
        if ref is None:
            return None
        cached = self._models.get(tenant_id)
        if cached is not None and cached[0] == ref:
            return cached[1]
        with self._models_lock:
            cached = self._models.get(tenant_id)
            if cached is not None and cached[0] == ref:
                return cached[1]
            params = ranking_repo.model_params(session, tenant_id, ref.model_id)
            model: LearnedModel | None = None
            try:
                model = LearnedModel.from_bytes((params or "").encode("utf-8"))
            except ValueError as exc:
                log.error(
                    "active ranking model %s of tenant %s is unusable (%s); ranking by the rules",
                    ref.version,
                    tenant_id,
                    exc,
                )
            if model is not None and model.version != ref.version:
                log.error(
                    "active ranking model %s stores version %s; ranking by the rules",
                    ref.version,
                    model.version,
                )
                model = None
            self._models[tenant_id] = (ref, model)
            return model

    def rebuild_index(self, tenant_slug: str) -> int:
        """Publish a fresh snapshot (vectors and BM25) from the database; returns its version."""
        manifest = self._write_index(
            tenant_slug,
            lambda session, tenant, store: publish_from_database(
                session,
                tenant,
                store,
                model=self.settings.model,
                empty_dimension=lambda: self.encoder().dimension,
                locked=True,
            ),
        )
        return manifest.version

    def restore_index(self, tenant_slug: str) -> Restored:
        """Make the tenant's current snapshot a verified one that matches the database: corrupt ones
        set aside, a committed but unswitched one switched to, a previous matching one served again,
        or else one rebuilt from the database (`ingest.indexing.restore_index`)."""
        return self._write_index(
            tenant_slug,
            lambda session, tenant, store: restore_index(
                session,
                tenant,
                store,
                model=self.settings.model,
                empty_dimension=lambda: self.encoder().dimension,
            ),
        )

    def _write_index(
        self, tenant_slug: str, write: Callable[[Session, Tenant, SnapshotStore], IndexResult]
    ) -> IndexResult:
        """Run `write` under the tenant's index writer lock in one transaction, then drop the
        process's loaded copy so the next request loads what was written. With a shared store, what
        it announces is taken first (a new version number follows it) and what was written announced."""
        self.follow(tenant_slug, now=True)
        store = self.store(tenant_slug)
        with store.writer_lock(), transaction(self.sessions) as session:
            tenant = repo.get_or_create_tenant(session, tenant_slug)
            result = write(session, tenant, store)
        self.snapshots.forget(store)
        self.announce(tenant_slug)
        return result

    def check_index(self, tenant_slug: str, repair: bool) -> str | None:
        """Why the tenant's index is not usable (None when it is); with `repair`, restore it first.
        A snapshot built with another model than the encoder's is reported first; restoring cannot
        mend that (the database holds that model's vectors too), only `leerpad index reembed` can."""
        wrong_model: str | None = None
        self.follow(tenant_slug)
        with self.sessions() as session:
            tenant = repo.get_tenant(session, tenant_slug)
            if tenant is None:
                return f"unknown tenant {tenant_slug}"
            try:
                snapshot = self.snapshots.get(self.store(tenant_slug))
                wrong_model = self.model_problem(snapshot)
                problem = (
                    None
                    if self._awaiting_announcement(tenant, snapshot)
                    else snapshot_matches(session, tenant, snapshot)
                )
            except IndexCorruptError as exc:
                problem = str(exc)
        if problem and repair:
            log.warning("index of %s: %s; restoring it", tenant_slug, problem)
            self.restore_index(tenant_slug)
            return self.check_index(tenant_slug, repair=False)
        return wrong_model or problem

    def _awaiting_announcement(self, tenant: Tenant, snapshot: Snapshot | None) -> bool:
        """Whether a snapshot behind the database is the shared store's replica waiting, within
        FOLLOW_GRACE_SECONDS, for the publisher's announcement (see the constant)."""
        behind = snapshot is not None and snapshot.manifest.catalog_version < tenant.index_version
        if self.shared is None or not behind:
            self._behind_since.pop(tenant.slug, None)
            return False
        since = self._behind_since.setdefault(tenant.slug, time.monotonic())
        return time.monotonic() - since < FOLLOW_GRACE_SECONDS

    def tenants_with_catalog(self) -> list[str]:
        with self.sessions() as session:
            return [t.slug for t in repo.list_tenants(session) if repo.count_items_by_status(session, t.id)]

    def database_ok(self) -> str | None:
        try:
            ping(self.engine)
        except Exception as exc:  # any driver error means not ready
            return f"database unreachable: {type(exc).__name__}"
        return None

    def close(self) -> None:
        self.engine.dispose()

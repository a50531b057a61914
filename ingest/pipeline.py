"""The ingest pipeline: read -> validate -> upsert -> embed changed -> publish index -> report.

One import is one database transaction, run under the tenant's index writer lock. The new index
snapshot is written before the commit and becomes current only after it (and is discarded if the
commit fails), so a failed import leaves both the database and the published index exactly as they
were, and an import killed at any point (SIGKILL, power cut of the process) leaves the published
index matching the committed database or, killed between the commit and the switch, one step
behind it, never ahead. Every import first settles what a killed one left
(`ingest.indexing.settle_index`), and publishes when the index does not match the database even if
nothing changed, so running an import again always ends with the two in step
(tests/ingest/test_crash_safety.py kills real imports to check this). Unchanged items are neither
written nor embedded; items missing from a full re-import of their source are retired and leave
the index, but an import that would retire more than a few of them is refused unless retiring was
allowed (`retirement_refusal`).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from ingest.indexing import settle_index, tenant_store, writer_transaction
from ingest.normalise.urls import web_url_problem
from ingest.normalise.values import without_controls
from ingest.records import (
    CatalogItem,
    RawRecord,
    RecordRejected,
    Source,
    SourceError,
    unit_embedding_text,
)
from ingest.skills import tag_catalog_items
from ingest.sources import get_source
from models import repositories as repo
from models.db import transaction
from models.tables import ITEM_ACTIVE, ITEM_RETIRED, MicroUnit, utcnow
from models.tables import CatalogItem as ItemRow
from recommender.embedding import Encoder, vector_to_bytes
from recommender.errors import CONFLICT, LeerpadError

MAX_REJECTIONS_LISTED = 1000
EMBED_CHUNK = 16  # texts encoded between two moves of the progress bar
RETIRED_LISTED = 20
# Retiring more than this share of a source's active items needs allow_retire: a file of another
# catalog imported under the same source name would otherwise retire the whole catalog silently...
RETIRE_SHARE_LIMIT = 0.2
# ...unless it retires at most this many, so that a small source can still drop an item or two.
RETIRE_ALWAYS_ALLOWED = 4
log = logging.getLogger("leerpad")


@dataclass(frozen=True)
class RetiredItem:
    external_id: str
    title: str

    def to_json(self) -> dict[str, str]:
        return {"external_id": self.external_id, "title": self.title}


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str
    field: str | None = None
    origin: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "reason": self.reason}
        if self.field:
            out["field"] = self.field
        if self.origin:
            out["origin"] = self.origin
        return out


@dataclass
class IngestReport:
    """What an import did; `to_json` gives the contract's keys."""

    kind: str
    source: str
    path: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    embedded: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_total: int = 0
    units: int = 0
    would_embed: int = 0
    # The first RETIRED_LISTED items retired (in a dry run or a refused import: that would be).
    retired_items: list[RetiredItem] = field(default_factory=list)
    # Why retiring them needs allow_retire; set when it was not given (a dry run reports it).
    retire_refusal: str | None = None
    # Items whose row was rejected this time keep their stored version instead of being retired.
    kept_ids: set[str] = field(default_factory=set)
    skills_created: int = 0
    skills_embedded: int = 0
    items_tagged: int = 0
    index_version: int | None = None
    index_count: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)

    def reject(self, rejection: Rejection) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTIONS_LISTED:
            self.rejected.append(rejection)

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "embedded": self.embedded,
            "rejected": [r.to_json() for r in self.rejected],
            "rejected_total": self.rejected_total,
            "retired_items": [r.to_json() for r in self.retired_items],
            "retire_refusal": self.retire_refusal,
            "kind": self.kind,
            "source": self.source,
            "path": self.path,
            "dry_run": self.dry_run,
            "units": self.units,
            "would_embed": self.would_embed,
            "skills_created": self.skills_created,
            "skills_embedded": self.skills_embedded,
            "items_tagged": self.items_tagged,
            "index_version": self.index_version,
            "index_count": self.index_count,
        }


class IngestError(LeerpadError):
    """The import as a whole cannot be used; nothing was changed."""

    def __init__(self, message: str, report: IngestReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class RetireRefused(IngestError):
    """The import would retire more of its source's items than allowed without allow_retire;
    nothing was changed. The report lists what would have been retired. A conflict, not invalid
    input: the file is valid; it conflicts with what the source holds now."""

    code = CONFLICT

    def __init__(self, message: str, report: IngestReport) -> None:
        super().__init__(message, report)
        self.extra = {
            "source": report.source,
            "retired": report.retired,
            "retired_items": [item.to_json() for item in report.retired_items],
        }


def retirement_refusal(source: str, retiring: Sequence[RetiredItem], active: int) -> str | None:
    """Why retiring `retiring` out of the source's `active` items needs allow_retire, or None when
    it does not: the one rule the CLI, the API and the jobs all apply."""
    count = len(retiring)
    if count <= RETIRE_ALWAYS_ALLOWED or count <= RETIRE_SHARE_LIMIT * active:
        return None
    named = ", ".join(f"{item.external_id} {item.title!r}" for item in retiring[:3])
    more = f" and {count - 3} more" if count > 3 else ""
    return (
        f"source {source!r}: this import would retire {count} of its {active} active items "
        f"({count / active:.0%}, over the {RETIRE_SHARE_LIMIT:.0%} an import may retire unasked): "
        f"{named}{more}. If the file is another catalog, import it under a source name of its own "
        f"(--source NAME; source=NAME in the API); if these items are really gone, allow retiring "
        f"them (--allow-retire; allow_retire=true in the API). Nothing was changed"
    )


def decide_retirement(
    report: IngestReport, source: str, retiring: Sequence[RetiredItem], active: int, allow_retire: bool
) -> None:
    """Put what would be retired in the report; raise RetireRefused when it is too much and neither
    allowed nor a dry run (a dry run reports the refusal instead)."""
    report.retired = len(retiring)
    report.retired_items = list(retiring[:RETIRED_LISTED])
    report.retire_refusal = None if allow_retire else retirement_refusal(source, retiring, active)
    if report.retire_refusal and not report.dry_run:
        raise RetireRefused(report.retire_refusal, report)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_items(source: Source, path: Path, report: IngestReport) -> list[CatalogItem]:
    """Every acceptable item of the file; bad records go to the report, duplicates keep the first."""
    items: list[CatalogItem] = []
    seen: dict[str, int] = {}
    for record in source.read_records(path):
        try:
            item = _without_controls(source.to_item(record))
        except RecordRejected as exc:
            report.reject(Rejection(record.line, exc.reason, exc.field, record.origin))
            named = str(record.fields.get("external_id") or record.fields.get("id") or "").strip()
            if named:
                report.kept_ids.add(named)
            continue
        item = _checked_url(item, record, report)
        if item.external_id in seen:
            report.reject(
                Rejection(
                    record.line,
                    f"duplicate external_id {item.external_id!r}, first seen on line {seen[item.external_id]}",
                    "external_id",
                    record.origin,
                )
            )
            continue
        seen[item.external_id] = record.line
        items.append(item)
    return items


def _without_controls(item: CatalogItem) -> CatalogItem:
    """The item's texts without control characters (ingest.normalise.values.without_controls), whatever
    the source: they reach terminals, reports and the LMS. The same item when it held none; a title
    of nothing else rejects the record."""
    units = tuple(
        replace(unit, title=without_controls(unit.title, one_line=True), text=without_controls(unit.text))
        for unit in item.units
    )
    clean = replace(
        item,
        title=without_controls(item.title, one_line=True),
        description=without_controls(item.description),
        provider=without_controls(item.provider, one_line=True) if item.provider else item.provider,
        skills=tuple(without_controls(skill, one_line=True) for skill in item.skills),
        units=units,
    )
    if not clean.title:
        raise RecordRejected(f"title {item.title!r} holds nothing but control characters", "title")
    return item if clean == item else clean


def _checked_url(item: CatalogItem, record: RawRecord, report: IngestReport) -> CatalogItem:
    """The item with its url and lms_url only when each is an http(s) link
    (ingest.normalise.urls.web_url_problem): the one is rendered as a link, the other matched against
    links the LMS sends, so any other value is rejected as a field, in the report with its line, and
    the item kept without it."""
    url = _web_url(item.url, "url", record, report)
    lms_url = _web_url(item.lms_url, "lms_url", record, report)
    return item if (url, lms_url) == (item.url, item.lms_url) else replace(item, url=url, lms_url=lms_url)


def _web_url(value: str | None, name: str, record: RawRecord, report: IngestReport) -> str | None:
    """`value` without surrounding blanks when it is an http(s) link, else None and a rejection."""
    if value is None:
        return None
    url = value.strip()
    problem = web_url_problem(url)
    if problem is None:
        return url
    shown = url if len(url) <= 80 else url[:77] + "..."
    reason = f"{name} {shown!r} {problem}; the item is kept without a {name}"
    report.reject(Rejection(record.line, reason, name, record.origin))
    return None


def check_retirement(
    factory: sessionmaker[Session], tenant_slug: str, kind: str, path: Path, source_name: str | None
) -> None:
    """Raise RetireRefused when importing `path` would retire too many items (decide_retirement),
    read without the writer lock and writing nothing, so that the API can refuse an upload at once
    instead of in its job (which applies the same rule again). A file that cannot be read passes:
    its job reports what is wrong with it."""
    name = source_name or kind
    report = IngestReport(kind=kind, source=name, path=str(path))
    try:
        incoming = {item.external_id for item in read_items(get_source(kind), path, report)}
    except Exception:  # noqa: BLE001 - the job reads the file again and reports the failure
        log.debug("retirement check: %s unreadable; left to the import job", path, exc_info=True)
        return
    if not incoming:
        return
    with factory() as session:
        tenant = repo.get_tenant(session, tenant_slug)
        active = repo.active_titles_of_source(session, tenant.id, name) if tenant else {}
    retiring = [
        RetiredItem(external_id, title)
        for external_id, title in active.items()
        if external_id not in incoming and external_id not in report.kept_ids
    ]
    decide_retirement(report, name, retiring, len(active), allow_retire=False)


def _apply_item(row: ItemRow, item: CatalogItem, content_hash: str) -> None:
    row.title = item.title
    row.description = item.description
    row.url = item.url
    row.lms_url = item.lms_url
    row.language = item.language
    row.minutes = item.minutes
    row.level = item.level
    row.format = item.format
    row.provider = item.provider
    row.rating = item.rating
    row.declared_skills = list(item.skills)
    row.extra = dict(item.extra)
    row.content_hash = content_hash
    row.source_updated_at = item.updated_at
    row.status = ITEM_ACTIVE
    row.retired_at = None
    row.updated_at = utcnow()


def _reconcile_units(row: ItemRow, item: CatalogItem, tenant_id: int) -> None:
    """Keep the stored vector of every unit whose embedded text is unchanged."""
    existing = {unit.position: unit for unit in row.units}
    for unit in item.units:
        text = unit.embedding_text(item.title)
        digest = text_hash(text)
        stored = existing.pop(unit.position, None)
        if stored is None:
            row.units.append(
                MicroUnit(
                    tenant_id=tenant_id,
                    position=unit.position,
                    title=unit.title,
                    text=unit.text,
                    minutes=unit.minutes,
                    anchor=unit.anchor,
                    text_hash=digest,
                    embedding=None,
                    embedding_model=None,
                    active=True,
                )
            )
            continue
        stored.title, stored.text, stored.minutes, stored.anchor = (
            unit.title,
            unit.text,
            unit.minutes,
            unit.anchor,
        )
        stored.active = True
        if stored.text_hash != digest:
            stored.text_hash, stored.embedding, stored.embedding_model = digest, None, None
    for leftover in existing.values():
        row.units.remove(leftover)


def encode_texts(encoder: Encoder, texts: list[str], label: str, progress: bool) -> np.ndarray:
    """Vectors of `texts`; with `progress`, a bar counting texts. The texts go to the encoder shortest
    first, EMBED_CHUNK at a time, so that the bar moves even where one batch of long pages takes
    minutes, and no chunk pads short texts to a long one's length."""
    if not progress:
        return encoder.encode(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    with tqdm(total=len(texts), desc=label, unit="text", file=sys.stderr) as bar:
        for start in range(0, len(order), EMBED_CHUNK):
            chunk = order[start : start + EMBED_CHUNK]
            vectors[chunk] = encoder.encode([texts[i] for i in chunk])
            bar.update(len(chunk))
    return vectors


def _units_to_embed(rows: Iterable[ItemRow], model: str) -> list[tuple[MicroUnit, str]]:
    """Active units with no vector, or a vector from another model, and the text to encode."""
    return [
        (unit, unit_embedding_text(row.title, unit.title, unit.text))
        for row in rows
        for unit in row.units
        if unit.active and (unit.embedding is None or unit.embedding_model != model)
    ]


def ingest_catalog(
    factory: sessionmaker[Session],
    encoder: Callable[[], Encoder],
    model_name: str,
    index_root: Path,
    *,
    tenant: str,
    kind: str,
    path: Path,
    source_name: str | None = None,
    dry_run: bool = False,
    allow_retire: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Import one catalog file or folder for `tenant`. Raises IngestError when nothing could be used,
    RetireRefused when it would retire too many items without `allow_retire`."""
    source = get_source(kind)
    name = source_name or kind
    report = IngestReport(kind=kind, source=name, path=str(path), dry_run=dry_run)
    started = utcnow()
    try:
        items = read_items(source, path, report)
        if not items:
            raise IngestError(f"{path}: no usable records ({report.rejected_total} rejected)", report)
        _store(
            factory,
            encoder,
            model_name,
            index_root,
            tenant,
            kind,
            name,
            items,
            report,
            allow_retire,
            progress,
        )
    except (SourceError, IngestError) as exc:
        _record_run(factory, tenant, report, started, status="failed", error=str(exc))
        if isinstance(exc, IngestError):
            raise
        raise IngestError(str(exc), report) from exc
    except Exception as exc:
        _record_run(factory, tenant, report, started, status="failed", error=f"{type(exc).__name__}: {exc}")
        raise
    _record_run(factory, tenant, report, started, status="dry-run" if dry_run else "succeeded", error=None)
    return report


def _store(
    factory: sessionmaker[Session],
    encoder: Callable[[], Encoder],
    model_name: str,
    index_root: Path,
    tenant_slug: str,
    kind: str,
    name: str,
    items: list[CatalogItem],
    report: IngestReport,
    allow_retire: bool,
    progress: bool,
) -> None:
    store = tenant_store(index_root, tenant_slug)
    with writer_transaction(factory, store) as (session, snapshot):
        tenant = repo.get_or_create_tenant(session, tenant_slug)
        # What a killed import left: finished or undone before this one writes anything.
        out_of_step = None if report.dry_run else settle_index(session, tenant, store)
        existing = repo.items_of_source(session, tenant.id, name)
        active_count = sum(row.status == ITEM_ACTIVE for row in existing.values())
        touched: list[ItemRow] = []
        unchanged: list[ItemRow] = []
        for item in items:
            content_hash = item.content_hash()
            row = existing.pop(item.external_id, None)
            if row is None:
                row = ItemRow(tenant_id=tenant.id, source=name, kind=kind, external_id=item.external_id)
                _apply_item(row, item, content_hash)
                session.add(row)
                report.created += 1
            elif row.content_hash == content_hash and row.status == ITEM_ACTIVE:
                report.unchanged += 1
                report.units += len(row.units)
                unchanged.append(row)
                continue
            else:
                _apply_item(row, item, content_hash)
                report.updated += 1
            _reconcile_units(row, item, tenant.id)
            report.units += len(item.units)
            touched.append(row)
        retiring = [
            row
            for external_id, row in existing.items()
            if row.status == ITEM_ACTIVE and external_id not in report.kept_ids
        ]
        decide_retirement(
            report, name, [RetiredItem(r.external_id, r.title) for r in retiring], active_count, allow_retire
        )
        for row in retiring:
            row.status, row.retired_at = ITEM_RETIRED, utcnow()
            for unit in row.units:
                unit.active = False
        session.flush()

        # Touched rows, and unchanged rows whose vectors came from another model.
        pending = _units_to_embed([*touched, *unchanged], model_name)
        if report.dry_run:
            report.would_embed = len(pending)
            session.rollback()
            return
        if pending:
            active = encoder()
            if active.name != model_name:
                raise IngestError(f"encoder {active.name!r} is not the configured model {model_name!r}")
            vectors = encode_texts(active, [text for _, text in pending], f"embedding {name}", progress)
            for (unit, _), vector in zip(pending, vectors, strict=True):
                unit.embedding = vector_to_bytes(vector)
                unit.embedding_model = model_name
            report.embedded = len(pending)
            session.flush()
        if touched:
            report.skills_created, report.skills_embedded, report.items_tagged = tag_catalog_items(
                session, tenant.id, [row.id for row in touched], encoder, model_name
            )
        if report.changed or report.embedded:
            repo.bump_index_version(session, tenant)
        elif out_of_step:
            log.warning(
                "index of %s does not match the database (%s); publishing it", tenant_slug, out_of_step
            )
        if report.changed or report.embedded or out_of_step:
            # Written now, current only once the commit has happened: never ahead of the database.
            manifest = snapshot.publish(
                session, tenant, model=model_name, empty_dimension=lambda: encoder().dimension
            )
            report.index_version, report.index_count = manifest.version, manifest.count


def _record_run(
    factory: sessionmaker[Session],
    tenant: str,
    report: IngestReport,
    started: Any,
    *,
    status: str,
    error: str | None,
) -> None:
    with transaction(factory) as session:
        row = repo.get_or_create_tenant(session, tenant)
        repo.record_ingest_run(
            session,
            row.id,
            kind=report.kind,
            source=report.source,
            path=report.path,
            dry_run=report.dry_run,
            status=status,
            report=report.to_json(),
            error=error,
            started_at=started,
        )

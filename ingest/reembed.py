"""Re-embed a tenant's catalog and skills with the configured encoder, and publish the index of it.

What switching `LEERPAD_EMBEDDING_MODEL` (or `recommender.embedding.DEFAULT_MODEL`) needs: every
stored vector carries the name of the model that made it, and an index never mixes models
(`publish_from_database` refuses). An ingest re-embeds only the units of the source it imports, so
a tenant with several sources would otherwise be stuck until every source was imported again; and
skill vectors are compared with unit vectors and query vectors, so they must change model too.

`reembed_tenant` does it in one go, the way an ingest writes (ingest/pipeline.py `_store`): under the
tenant's index writer lock, after `settle_index`, in one transaction; the new snapshot is written
before the commit and made current only after it, so a crash leaves the old catalog and index, or the
new ones, never a mix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ingest.indexing import settle_index, tenant_store, writer_transaction
from ingest.records import unit_embedding_text
from ingest.skills import skill_text
from models import repositories as repo
from models import taxonomy_repository as tax
from models.tables import MicroUnit, Skill
from recommender.embedding import EncodeKind, Encoder, vector_to_bytes
from recommender.errors import LeerpadError

PAGE = 500  # items (or skills) read per query; their texts are encoded page by page


class ReembedError(LeerpadError):
    """The tenant is unknown or the encoder is not the configured model."""


@dataclass
class ReembedReport:
    tenant: str
    model: str
    units: int = 0
    skills: int = 0
    index_version: int | None = None
    index_count: int = 0


def _encode_into(
    encoder: Encoder,
    rows: Sequence[MicroUnit | Skill],
    texts: list[str],
    model: str,
    progress: bool,
    kind: EncodeKind,
) -> None:
    if not rows:
        return
    vectors = encoder.encode(texts, progress=progress, kind=kind)
    for row, vector in zip(rows, vectors, strict=True):
        row.embedding, row.embedding_model = vector_to_bytes(vector), model


def _reembed_units(
    session: Session, tenant_id: int, encoder: Encoder, model: str, only_stale: bool, progress: bool
) -> int:
    done, after = 0, 0
    while True:
        items = repo.list_items(session, tenant_id, repo.ItemFilter(), after, PAGE)  # active items
        if not items:
            return done
        pending = [
            (unit, unit_embedding_text(item.title, unit.title, unit.text))
            for item in items
            for unit in item.units
            if unit.active
            and not (only_stale and unit.embedding is not None and unit.embedding_model == model)
        ]
        _encode_into(encoder, [u for u, _ in pending], [t for _, t in pending], model, progress, "passage")
        session.flush()
        done += len(pending)
        after = items[-1].id


def _reembed_skills(session: Session, tenant_id: int, encoder: Encoder, model: str, only_stale: bool) -> int:
    done, after = 0, 0
    while True:
        skills = tax.list_skills(session, tenant_id, after, PAGE)
        if not skills:
            return done
        pending = [
            s for s in skills if not (only_stale and s.embedding is not None and s.embedding_model == model)
        ]
        # a skill is looked for, as ingest/skills.py `embed_skills` encodes it
        _encode_into(encoder, pending, [skill_text(s) for s in pending], model, False, "query")
        session.flush()
        done += len(pending)
        after = skills[-1].id


def reembed_tenant(
    factory: sessionmaker[Session],
    encoder: Callable[[], Encoder],
    model_name: str,
    index_root: Path,
    tenant_slug: str,
    *,
    only_stale: bool = False,
    progress: bool = False,
) -> ReembedReport:
    """Encode every active unit and every skill of the tenant with `encoder` (only those whose vector
    is missing or from another model with `only_stale`), store the vectors under `model_name`, and
    publish a new snapshot of the index. Retired units keep their old vectors: they are never served,
    and a re-import that revives them re-embeds them (ingest/pipeline.py `_units_to_embed`)."""
    store = tenant_store(index_root, tenant_slug)
    report = ReembedReport(tenant=tenant_slug, model=model_name)
    with writer_transaction(factory, store) as (session, snapshot):
        tenant = repo.get_tenant(session, tenant_slug)
        if tenant is None:
            raise ReembedError(f"unknown tenant {tenant_slug!r}")
        active = encoder()
        if active.name != model_name:
            raise ReembedError(f"encoder {active.name!r} is not the configured model {model_name!r}")
        settle_index(session, tenant, store)  # what a killed writer left, finished or undone first
        report.units = _reembed_units(session, tenant.id, active, model_name, only_stale, progress)
        report.skills = _reembed_skills(session, tenant.id, active, model_name, only_stale)
        repo.bump_index_version(session, tenant)
        manifest = snapshot.publish(
            session, tenant, model=model_name, empty_dimension=lambda: active.dimension
        )
        report.index_version, report.index_count = manifest.version, manifest.count
    return report

"""Running the ingest pipeline on a CSV file and reading back what it stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ingest import pipeline
from ingest.pipeline import IngestReport
from models import repositories as repo
from models.tables import CatalogItem
from service.core.runtime import Runtime
from tests.support.encoders import CountingEncoder


def run_ingest(
    runtime: Runtime, tenant: str, path: Path, encoder: CountingEncoder, **kw: object
) -> IngestReport:
    """The pipeline on a CSV catalog, encoding with `encoder` (so a test sees what was encoded)."""
    return pipeline.ingest_catalog(  # looked up at call time, so a test may patch it
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
    """Each catalog item of the tenant: external id -> (content hash, status)."""
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        items = session.scalars(select(CatalogItem).where(CatalogItem.tenant_id == row.id)).all()
        return {i.external_id: (i.content_hash, i.status) for i in items}

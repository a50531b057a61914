"""The catalog as one request reads it: the current snapshot's version, its catalog columns and the
tag table over them, all kept in memory by the runtime (`Runtime.catalog`). Paths and search read
units through it instead of the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import repositories as repo
from recommender.catalog_columns import CatalogColumns
from recommender.catalog_tags import TagTable
from service.core.runtime import Runtime


@dataclass(frozen=True)
class RequestCatalog:
    """The catalog as one request reads it: the current snapshot's version, columns and tag table."""

    version: int
    columns: CatalogColumns
    tags: TagTable
    tags_version: int = 0  # the tenant's tags version the tag table was built at


def request_catalog(runtime: Runtime, session: Session, tenant_id: int) -> RequestCatalog:
    """The tenant's catalog columns and tags as kept in memory (`Runtime.catalog`); empty when no
    snapshot is published yet."""
    tenant = repo.get_tenant_by_id(session, tenant_id)
    loaded = runtime.catalog(session, tenant) if tenant is not None else None
    if loaded is None:
        empty = CatalogColumns.build([])
        return RequestCatalog(-1, empty, TagTable.build(empty, []))
    return RequestCatalog(*loaded)

"""Changing who is who, and what follows: a new mapping or a new list of LMS home pages may name the
actors of statements the LRS kept because they named no one, so these apply them at once. The one way
the API and the CLI change identities (service.events.identities holds the rule itself)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from service.events.identities import IdentityInput, MappingReport, map_identities, set_home_pages
from service.xapi.store import apply_pending


def map_actors(
    session: Session, tenant_id: int, entries: Sequence[IdentityInput], now: datetime
) -> tuple[MappingReport, int]:
    """Store the mappings (map_identities); then the waiting statements of the actors they newly
    name count. Returns the report and how many statements were applied now."""
    report = map_identities(session, tenant_id, entries)
    applied = apply_pending(session, tenant_id, now) if report.mapped_keys else 0
    return report, applied


def replace_home_pages(session: Session, tenant_id: int, pages: Sequence[str], now: datetime) -> list[str]:
    """Replace the tenant's LMS home pages; accounts they now admit may be waiting employees."""
    listed = set_home_pages(session, tenant_id, pages)
    apply_pending(session, tenant_id, now)
    return listed

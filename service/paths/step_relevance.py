"""How relevant a unit must be to become a path step: one bar for paths, `/gaps` `has_content` and the
reports' uncovered skills, so that they never disagree about whether a gap has content.

The product's default is `recommender.paths.MIN_STEP_RELEVANCE`. A tenant may set its own
(`PUT /v1/settings` `min_step_relevance`): stricter for a broad catalog with loose tags, looser for a
small catalog whose texts name skills in other words.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import repositories as repo
from recommender.paths import MIN_STEP_RELEVANCE

# Below 0.5 a mere similarity counts as teaching a skill; at 1.0 only declared and confirmed tags do.
LOWEST_BAR = 0.5
HIGHEST_BAR = 1.0


def step_relevance_bar(session: Session, tenant_id: int) -> float:
    """The tenant's own bar, or the product's default when it has set none."""
    tenant = repo.get_tenant_by_id(session, tenant_id)
    if tenant is None or tenant.min_step_relevance is None:
        return MIN_STEP_RELEVANCE
    return float(tenant.min_step_relevance)

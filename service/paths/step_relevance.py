"""How relevant a unit must be to become a path step: one bar for paths, `/gaps` `has_content` and the
reports' uncovered skills, so that they never disagree about whether a gap has content.

The product's default is `recommender.paths.MIN_STEP_RELEVANCE`. A tenant may set its own
(`PUT /v1/settings` `min_step_relevance`): stricter for a broad catalog with loose tags, looser for a
small catalog whose texts name skills in other words.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from models import repositories as repo
from models import taxonomy_repository as tax
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


def skills_with_tagged_content(session: Session, tenant_id: int, skill_ids: Sequence[int]) -> set[int]:
    """The skills of `skill_ids` that a stored tag of an active item gives at least the tenant's bar.
    Only half the answer: service.paths.planning `content_check` adds what retrieval finds."""
    return tax.covered_skills(session, tenant_id, skill_ids, step_relevance_bar(session, tenant_id))

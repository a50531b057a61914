"""A tenant's settings as its admin reads and changes them."""

from __future__ import annotations

from pydantic import Field

from service.core.schemas import Strict
from service.paths.step_relevance import HIGHEST_BAR, LOWEST_BAR
from service.people.visibility import IndividualGaps


class TenantSettings(Strict):
    individual_gaps: IndividualGaps
    # the bar in force: the tenant's own, or the product's default (min_step_relevance_default)
    min_step_relevance: float
    min_step_relevance_default: float


class TenantSettingsChange(Strict):
    """Only the fields given change; `min_step_relevance: null` goes back to the product's default."""

    individual_gaps: IndividualGaps | None = None
    min_step_relevance: float | None = Field(
        default=None,
        ge=LOWEST_BAR,
        le=HIGHEST_BAR,
        description="How relevant (0..1) a unit must be to become a path step; 1.0 admits only "
        "declared and confirmed tags. Also decides /gaps has_content and the reports' uncovered skills.",
    )

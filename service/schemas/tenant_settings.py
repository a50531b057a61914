"""A tenant's settings as its admin reads and changes them."""

from __future__ import annotations

from service.schemas.skills import Strict
from service.visibility import IndividualGaps


class TenantSettings(Strict):
    individual_gaps: IndividualGaps

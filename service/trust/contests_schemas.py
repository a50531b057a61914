"""Assessments as their employee sees them, and contests against them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.core.schemas import Strict


class ContestPublic(BaseModel):
    contest_id: int
    assessment_id: int
    employee_id: str
    reason: str
    status: Literal["open", "upheld", "corrected"]
    decision_note: str | None
    created_at: datetime
    decided_at: datetime | None


class AssessmentPublic(BaseModel):
    assessment_id: int
    skill_id: int
    skill: str
    level: float
    source: str
    observed_at: datetime
    counts_as_evidence: bool = Field(description="false while contested, and after a correction")
    contest: ContestPublic | None


class ContestIn(Strict):
    reason: str = Field(
        min_length=3, max_length=2000, description="Why the assessment is wrong, in a few words"
    )


class ContestDecision(Strict):
    decision: Literal["upheld", "corrected"] = Field(
        description="upheld: the assessment stands and counts again; corrected: it was wrong and no longer counts"
    )
    note: str | None = Field(default=None, max_length=2000)

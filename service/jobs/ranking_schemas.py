"""Response models for the ranking model registry (separate from the ranking_models table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class DataWindowPublic(BaseModel):
    start: datetime | None = Field(description="The first impression the run learned from")
    cut: datetime | None = Field(
        description="Impressions from here on were the hold-out both models were judged on"
    )
    end: datetime | None = Field(description="The last impression")


class RankingModelPublic(BaseModel):
    version: str
    kind: str
    status: str = Field(description="active (ranks the tenant's paths), rejected, retired or candidate")
    metric: str = Field(description="The promotion metric, e.g. ndcg@10")
    current: float | None = Field(description="The metric of the model it was compared with, on the hold-out")
    candidate: float | None = Field(description="The metric of this model on the same hold-out")
    gain: float | None
    gain_lower_bound: float | None = Field(description="One-sided 95% lower bound of the gain (bootstrap)")
    compared_with: str | None = Field(description="The version that was active when it was trained")
    metrics: dict[str, Any] = Field(description="All metrics of both models: current, candidate, gain")
    reason: str = Field(description="Why it was promoted or not")
    window: DataWindowPublic
    n_train: int
    n_test: int
    created_at: datetime
    promoted_at: datetime | None = Field(description="When it last became active")


class RegistryPublic(BaseModel):
    active_version: str = Field(
        description="What ranks the tenant's paths now; rules-1 means the hand-set rules"
    )
    models: list[RankingModelPublic] = Field(description="Newest first")

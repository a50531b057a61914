"""The figures L&D enters for the KPI report: costs and benefits (ROI) and business results (level 4)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from service.core.schemas import IsoDate, Number, Strict

CURRENCY = re.compile(r"^[A-Z]{3}$")


class FigureCreate(Strict):
    kind: Literal["cost", "benefit", "result"]
    name: str = Field(min_length=1, max_length=200, description="e.g. 'GoodHabitz licence', 'NPS'")
    team: str | None = Field(default=None, max_length=200, description="None: the whole company")
    period_start: IsoDate
    period_end: IsoDate = Field(description="Inclusive")
    value: Number
    unit: str = Field(min_length=1, max_length=20, description="A currency (EUR) for costs and benefits")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> FigureCreate:
        if not self.name.strip():
            raise ValueError("name: must not be blank")
        if self.period_end < self.period_start:
            raise ValueError(f"period_end: {self.period_end} is before period_start {self.period_start}")
        if not math.isfinite(self.value):
            raise ValueError("value: must be a finite number")
        if self.kind in ("cost", "benefit"):
            if not CURRENCY.match(self.unit):
                raise ValueError(f"unit: a {self.kind} needs a currency code such as EUR, got {self.unit!r}")
            if self.value < 0:
                raise ValueError(f"value: a {self.kind} cannot be negative, got {self.value}")
        return self


class FigurePublic(FigureCreate):
    figure_id: int
    created_at: datetime


class FiguresCreated(Strict):
    created: int
    figures: list[FigurePublic]

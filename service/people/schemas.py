"""Request and response models for employees, their assessments and their gaps."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from service.core.schemas import IsoDateTime, Label, Language, Number, Strict, json_shape_problem
from service.skills.schemas import ResolutionPublic

MAX_ASSESSMENTS = 500
MAX_PREFERENCE_DEPTH = 8
MAX_PREFERENCE_VALUES = 1000
# Preferences that are the defaults of every path request (the path's own fields win), and their range.
PREFERENCE_NUMBERS = {"minutes_per_week": (5, 2400), "weeks": (1, 52)}
# The employee's Learning Day: "off" (none planned for them) or the weekday they take it on.
LEARNING_DAY_CHOICES = ("off", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class EmployeeIn(Strict):
    role: Label | None = None
    target_role: Label | None = None
    team: Label | None = None
    language: Language = "nl"
    preferences: dict[str, Any] = Field(
        default_factory=dict,
        description=f"formats, languages, minutes_per_week and weeks are the defaults of the employee's paths; learning_day "
        "('off' or a weekday) moves or cancels their Learning Days; at most {MAX_PREFERENCE_DEPTH} deep "
        f"and {MAX_PREFERENCE_VALUES} values in all",
    )

    @field_validator("preferences")
    @classmethod
    def _small_preferences(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = json_shape_problem(value, MAX_PREFERENCE_DEPTH, MAX_PREFERENCE_VALUES)
        if problem:
            raise ValueError(problem)
        for name, (low, high) in PREFERENCE_NUMBERS.items():
            number = value.get(name)
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high
            ):
                raise ValueError(
                    f"preferences.{name}: expected a whole number from {low} to {high}, got {number!r}"
                )
        day = value.get("learning_day")
        if day is not None and day not in LEARNING_DAY_CHOICES:
            raise ValueError(
                f"preferences.learning_day: one of {', '.join(LEARNING_DAY_CHOICES)}, got {day!r}"
            )
        for name in ("languages", "formats"):
            listed = value.get(name)
            if listed is not None and (
                not isinstance(listed, list)
                or not all(isinstance(x, str) and 0 < len(x) <= 20 for x in listed)
            ):
                raise ValueError(f"preferences.{name}: expected a list of short strings, got {listed!r}")
        return value


class EmployeePublic(BaseModel):
    employee_id: str
    role: str | None
    target_role: str | None
    team: str | None
    language: str
    preferences: dict[str, Any]


class AssessmentIn(Strict):
    skill: Label
    level: Number = Field(ge=0, le=5)
    source: Literal["self", "manager", "test", "360", "completion"]
    observed_at: IsoDateTime | None = Field(default=None, description="When it was observed; default: now")


class AssessmentsAccepted(BaseModel):
    accepted: int
    skills: list[ResolutionPublic]


class GapPublic(BaseModel):
    skill_id: int
    skill: str
    required: int
    current: float
    gap: float
    importance: float
    priority: float
    confidence: float
    evidence_count: int
    has_content: bool


class GapsPublic(BaseModel):
    employee_id: str
    role: str | None
    gaps: list[GapPublic]
    uncovered: list[int] = Field(description="Skills with a gap that no catalog item teaches")

"""Request and response models for learning paths: the request for an employee's path or for an
ad-hoc skill list, and the path with its steps, the gaps it covers and those it leaves open."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from service.core.schemas import Label, Number, Strict, WholeNumber

LanguageCode = Annotated[
    str, StringConstraints(min_length=2, max_length=8, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
]


class PathRequest(Strict):
    minutes_per_week: WholeNumber | None = Field(
        default=None, ge=5, le=2400, description="default: the employee's preference, else 60"
    )
    weeks: WholeNumber | None = Field(
        default=None, ge=1, le=52, description="default: the employee's preference, else 6"
    )
    target_role: Label | None = Field(
        default=None, description="A role to grow into instead of the current one"
    )
    languages: Annotated[list[LanguageCode], Field(max_length=5)] | None = Field(
        default=None,
        description="Languages the employee reads, first preferred; default: their own, then their preferred "
        "languages. Another language is used only for a gap no content in these languages teaches, "
        "and the step says so (`language_fallback`)",
    )


class AdHocSkill(Strict):
    skill: Label
    current: Number = Field(ge=0, le=5)
    target: WholeNumber = Field(ge=0, le=5)
    importance: Number = Field(default=1.0, ge=0, le=1)


class RecommendationRequest(Strict):
    skills: Annotated[list[AdHocSkill], Field(min_length=1, max_length=50)]
    minutes_per_week: WholeNumber = Field(default=60, ge=5, le=2400)
    weeks: WholeNumber = Field(default=6, ge=1, le=52)
    languages: Annotated[list[LanguageCode], Field(max_length=5)] | None = None


class PathGapRef(BaseModel):
    skill: str
    skill_id: int = Field(description="the taxonomy skill; negative for an ad-hoc label matched by text")
    gap: float | None = Field(description="null when the tenant hides individual gap scores from this caller")


class StepEvidence(BaseModel):
    skill: str
    skill_id: int
    kind: str = Field(
        description="why the unit teaches the skill: declared (by its source), confirmed (by L&D), "
        "label (a label of the skill stands in its text), embedding (tagged by meaning), similarity "
        "(retrieved by meaning), text (an ad-hoc label matched in the text)"
    )
    detail: str = Field(description="the matched label, or the similarity")


class PathStepPublic(BaseModel):
    item_id: int
    unit_id: int
    title: str
    url: str | None
    minutes: int
    week: int = Field(description="the week the step starts in, from 1")
    last_week: int | None = Field(
        default=None,
        description="the week it ends in: later than `week` for a course followed over several weeks, "
        "at most minutes_per_week a week",
    )
    language: str
    format: str
    addresses: list[PathGapRef]
    evidence: list[StepEvidence] = Field(default_factory=list, description="one per addressed skill")
    why: str
    score: float
    source: str
    external_id: str
    activity_id: str
    part: int = Field(default=1, description="the session of a unit longer than a week, from 1")
    parts: int = Field(
        default=1, description="how many sessions the whole unit takes; 0 when its source gave no duration"
    )
    unit_minutes: int | None = Field(default=None, description="the whole unit's minutes")
    partial: bool = Field(
        default=False,
        description="the path holds only the first sessions of this unit (or its length is unknown)",
    )
    remaining_minutes: int = Field(default=0, description="minutes of this unit left after the path")
    language_fallback: bool = Field(
        default=False,
        description="in another language: no content in the learner's languages teaches this gap",
    )
    learning_day: str | None = Field(
        default=None,
        description="the Learning Day (ISO date) the step is planned on; null: the week's own time",
    )


class CoveredGap(BaseModel):
    skill_id: int
    skill: str
    gap: float | None = Field(description="null when the tenant hides individual gap scores from this caller")


class UncoveredGapPublic(CoveredGap):
    reason: str = Field(
        description="no_content (nothing teaches it), all_done (the learner did what there is in their "
        "languages), no_language (only content in languages not chosen), "
        "not_enough_content (all of it is in the path), no_time (the budget is spent), too_long (what is left "
        "are classroom or event sittings longer than a week)"
    )
    closed: float | None = Field(default=None, description="levels of the gap the path still closes")
    explanation: str | None = Field(default=None, description="the reason in the learner's language")


class MatchedSkill(BaseModel):
    skill: str = Field(description="the label as the caller sent it")
    matched: str = Field(description="taxonomy: a skill of the tenant; text: matched in the content by text")
    skill_id: int
    resolved_to: str


class PathLearningDay(BaseModel):
    date: str
    week: int
    minutes: int = Field(description="the day budget")
    planned_minutes: int = Field(description="minutes of the path's steps on that day")


class PathPublic(BaseModel):
    path_id: str
    steps: list[PathStepPublic]
    covered_gaps: list[CoveredGap]
    uncovered_gaps: list[UncoveredGapPublic]
    total_minutes: int
    budget_minutes: int
    covered_priority_share: float
    model_version: str
    minutes_per_week: int | None = None
    weeks: int | None = None
    learning_days: list[PathLearningDay] = Field(
        default_factory=list,
        description="the employee's Learning Days inside the path's weeks (the company's setting, the "
        "employee's preference), a day budget beside the weekly one",
    )
    matched_skills: list[MatchedSkill] | None = Field(
        default=None, description="POST /v1/recommendations: how each label was matched"
    )

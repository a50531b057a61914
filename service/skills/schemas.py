"""Request and response models for skills, roles, employees, assessments and gaps."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from service.core.schemas import (
    IsoDateTime,
    Number,
    WholeNumber,
    json_shape_problem,
    trimmed,
    trimmed_text_schema,
)

# 1 to 200 characters as sent (what the document says), stored without the blanks around them.
Label = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(trimmed), trimmed_text_schema(200)
]
Language = Literal["nl", "en"]
MAX_ROLE_SKILLS = 200
MAX_ASSESSMENTS = 500
MAX_PREFERENCE_DEPTH = 8
MAX_PREFERENCE_VALUES = 1000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SkillLabelPublic(BaseModel):
    label: str
    language: str
    kind: str


class SkillPublic(BaseModel):
    skill_id: int
    key: str
    uri: str | None
    origin: str
    label_en: str | None
    label_nl: str | None
    description: str | None
    skill_type: str | None
    groups: list[str]
    labels: list[SkillLabelPublic]


class SkillPage(BaseModel):
    skills: list[SkillPublic]
    next_cursor: str | None


class SkillCreate(Strict):
    label: Label
    language: Language = "en"
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    alt_labels: Annotated[list[Label], Field(max_length=20)] = []


class SkillCreated(SkillPublic):
    items_tagged: int = Field(description="Catalog items matched to the new skill at once")


class ItemSkillPublic(BaseModel):
    skill_id: int
    label: str
    confidence: float
    origin: str
    status: str


class ItemSkillReview(Strict):
    status: Literal["confirmed", "rejected", "auto"]


class RoleSkillIn(Strict):
    skill: Label = Field(description="Skill id, ESCO URI or label in Dutch or English")
    level: WholeNumber = Field(ge=0, le=5)
    importance: Number | Literal["essential", "optional", "important", "nice-to-have"] = 1.0


class RoleIn(Strict):
    name: Label
    skills: Annotated[list[RoleSkillIn], Field(max_length=MAX_ROLE_SKILLS)] = []
    occupation: Label | None = Field(
        default=None,
        description="An ESCO occupation (URI or English/Dutch title) whose skills the role takes",
    )
    language: Language = Field(default="en", description="Language of labels that create custom skills")


class RoleSkillPublic(BaseModel):
    skill_id: int
    label: str
    level: int
    importance: float


class ResolutionPublic(BaseModel):
    given: str
    skill_id: int
    label: str
    resolved_by: str


class RolePublic(BaseModel):
    role_id: str
    name: str
    occupation_uri: str | None
    skills: list[RoleSkillPublic]
    resolved: list[ResolutionPublic] = []


# Preferences that are the defaults of every path request (the path's own fields win), and their range.
PREFERENCE_NUMBERS = {"minutes_per_week": (5, 2400), "weeks": (1, 52)}


class EmployeeIn(Strict):
    role: Label | None = None
    target_role: Label | None = None
    team: Label | None = None
    language: Language = "nl"
    preferences: dict[str, Any] = Field(
        default_factory=dict,
        description=f"formats, languages, minutes_per_week and weeks are the defaults of the employee's paths; at most {MAX_PREFERENCE_DEPTH} deep "
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


class CoveredGap(BaseModel):
    skill_id: int
    skill: str
    gap: float | None = Field(description="null when the tenant hides individual gap scores from this caller")


class UncoveredGapPublic(CoveredGap):
    reason: str = Field(
        description="no_content (nothing teaches it), no_language (only content in languages not chosen), "
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
    matched_skills: list[MatchedSkill] | None = Field(
        default=None, description="POST /v1/recommendations: how each label was matched"
    )

"""Request and response models for skills, roles, employees, assessments and gaps."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from service.schemas.common import (
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


class EmployeeIn(Strict):
    role: Label | None = None
    target_role: Label | None = None
    team: Label | None = None
    language: Language = "nl"
    preferences: dict[str, Any] = Field(
        default_factory=dict,
        description=f"e.g. formats, languages, minutes_per_week; at most {MAX_PREFERENCE_DEPTH} deep "
        f"and {MAX_PREFERENCE_VALUES} values in all",
    )

    @field_validator("preferences")
    @classmethod
    def _small_preferences(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = json_shape_problem(value, MAX_PREFERENCE_DEPTH, MAX_PREFERENCE_VALUES)
        if problem:
            raise ValueError(problem)
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
    minutes_per_week: WholeNumber = Field(default=60, ge=5, le=2400)
    weeks: WholeNumber = Field(default=6, ge=1, le=52)
    target_role: Label | None = Field(
        default=None, description="A role to grow into instead of the current one"
    )
    languages: Annotated[list[LanguageCode], Field(max_length=5)] | None = Field(
        default=None,
        description="Languages the employee reads, first preferred; default: theirs, then English",
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
    skill_id: int
    gap: float | None = Field(description="null when the tenant hides individual gap scores from this caller")


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
    why: str
    score: float
    source: str
    external_id: str
    activity_id: str


class CoveredGap(BaseModel):
    skill_id: int
    skill: str
    gap: float | None = Field(description="null when the tenant hides individual gap scores from this caller")


class UncoveredGapPublic(CoveredGap):
    reason: str = Field(
        description="no_content, no_language, not_enough_content, too_long (only units longer than a week) or no_time"
    )


class PathPublic(BaseModel):
    path_id: str
    steps: list[PathStepPublic]
    covered_gaps: list[CoveredGap]
    uncovered_gaps: list[UncoveredGapPublic]
    total_minutes: int
    budget_minutes: int
    covered_priority_share: float
    model_version: str

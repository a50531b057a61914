"""Request and response models for skills, the skills of catalog items, and roles."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from service.core.schemas import Label, Language, Number, Strict, WholeNumber

MAX_ROLE_SKILLS = 200


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
    created: bool = Field(
        default=False, description="the label named no skill: a custom skill was made for it"
    )


class LevelChange(BaseModel):
    skill_id: int
    skill: str
    before: int
    now: int


class RoleChangesPublic(BaseModel):
    """What a PUT changed: it replaces the role's whole skill list."""

    added: list[RoleSkillPublic]
    removed: list[RoleSkillPublic]
    level_changes: list[LevelChange]


class RolePublic(BaseModel):
    role_id: str
    name: str
    occupation_uri: str | None
    skills: list[RoleSkillPublic]
    resolved: list[ResolutionPublic] = []
    changes: RoleChangesPublic | None = Field(default=None, description="only in the answer to a PUT")

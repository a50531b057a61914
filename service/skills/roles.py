"""Role profiles: which skills a role needs, at which level and how much each matters.

Shared by `PUT /v1/roles/{id}` and `leerpad roles import`: a skill may be named by id, ESCO URI or
label in Dutch or English; a label that matches no skill becomes a custom skill of the tenant.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ingest.skills import create_custom_skill, embed_skills, resolve_skill, tag_new_skill
from models import people_repository as people
from models import taxonomy_repository as tax
from models.tables import Occupation, Role, RoleSkill, utcnow
from recommender.embedding import Encoder
from recommender.errors import LeerpadError

IMPORTANCE_WORDS = {
    "essential": 1.0,
    "essentieel": 1.0,
    "important": 0.75,
    "belangrijk": 0.75,
    "optional": 0.5,
    "optioneel": 0.5,
    "nice-to-have": 0.25,
}
ESSENTIAL_LEVEL, OPTIONAL_LEVEL = 3, 2


class RoleInputError(LeerpadError):
    """A role definition that cannot be stored; names the skill entry at fault."""


@dataclass(frozen=True)
class RoleSkillInput:
    skill: str
    level: int
    importance: float | str = 1.0


@dataclass(frozen=True)
class Resolution:
    given: str
    skill_id: int
    label: str
    resolved_by: str  # id, key, label, created


def importance_value(value: float | str, where: str) -> float:
    if isinstance(value, str):
        word = value.strip().lower()
        if word in IMPORTANCE_WORDS:
            return IMPORTANCE_WORDS[word]
        try:
            value = float(word.replace(",", "."))
        except ValueError as exc:
            raise RoleInputError(
                f"{where}: importance {value!r} is not a number from 0 to 1 or one of {', '.join(IMPORTANCE_WORDS)}"
            ) from exc
    if not 0 <= float(value) <= 1:
        raise RoleInputError(f"{where}: importance {value} is outside 0..1")
    return float(value)


def skill_label(skill: object) -> str:
    return str(
        getattr(skill, "label_nl", None) or getattr(skill, "label_en", None) or getattr(skill, "key", "")
    )


@dataclass(frozen=True)
class RoleChanges:
    """What a replacement changed in a role's skill list (PUT replaces the whole list)."""

    added: list[int]
    removed: list[tuple[int, int, float]]  # (skill, level, importance) as they were
    levels: list[tuple[int, int, int]]  # (skill, level before, level now)


CLOSEST_SKILLS = 3


def closest_skills(session: Session, tenant_id: int, label: str) -> list[str]:
    """The tenant's skill labels nearest to `label` by their letters (difflib), for an error message."""
    labels = sorted({text for _, text, _ in tax.all_labels(session, tenant_id)})
    return difflib.get_close_matches(label, labels, n=CLOSEST_SKILLS, cutoff=0.5)


def upsert_role(
    session: Session,
    tenant_id: int,
    key: str,
    name: str,
    skills: Sequence[RoleSkillInput],
    encoder: Callable[[], Encoder],
    model: str,
    language: str = "en",
    occupation: Occupation | None = None,
    create_skills: bool = True,
) -> tuple[Role, list[Resolution], RoleChanges]:
    """Create or replace a role profile; returns it with what each named skill resolved to and what
    changed. A label that names no skill becomes a custom skill, or with `create_skills` False the
    role is refused, naming every such label and the closest skills there are."""
    resolutions: list[Resolution] = []
    wanted: dict[int, tuple[int, float]] = {}
    created = []
    unknown: list[str] = []
    for index, entry in enumerate(skills):
        where = f"skills[{index}] ({entry.skill!r})"
        if not 0 <= entry.level <= 5:
            raise RoleInputError(f"{where}: level {entry.level} is outside 0..5")
        importance = importance_value(entry.importance, where)
        reference = entry.skill.strip()
        if not reference:
            raise RoleInputError(f"{where}: empty skill")
        skill = resolve_skill(session, tenant_id, reference)
        looks_like_id = reference.isascii() and reference.isdigit()
        if skill is None:
            if looks_like_id or reference.startswith(("http://", "https://")):
                raise RoleInputError(f"{where}: no skill with this id or URI")
            if not create_skills:
                unknown.append(
                    f"{where}: no skill is called this" + _closest_hint(session, tenant_id, reference)
                )
                continue
            skill = create_custom_skill(session, tenant_id, reference, language)
            created.append(skill)
            how = "created"
        elif looks_like_id and reference == str(skill.id):
            how = "id"
        elif reference in (skill.key, skill.uri):
            how = "key"
        else:
            how = "label"
        if skill.id in wanted:
            raise RoleInputError(f"{where}: skill {skill.id} is listed twice")
        wanted[skill.id] = (entry.level, importance)
        resolutions.append(Resolution(reference, skill.id, skill_label(skill), how))
    if unknown:
        raise RoleInputError("; ".join(unknown) + " (create_skills=false: nothing was stored)")
    if created:
        embed_skills(session, tenant_id, encoder, model)
        for skill in created:
            tag_new_skill(session, tenant_id, skill)
    role = people.get_role(session, tenant_id, key)
    before = {rs.skill_id: (rs.level, rs.importance) for rs in role.skills} if role is not None else {}
    if role is None:
        role = Role(tenant_id=tenant_id, key=key, name=name)
        session.add(role)
    role.name = name
    role.updated_at = utcnow()
    if occupation is not None:
        role.occupation_id = occupation.id
    role.skills.clear()
    session.flush()
    role.skills.extend(
        RoleSkill(tenant_id=tenant_id, skill_id=skill_id, level=level, importance=importance)
        for skill_id, (level, importance) in wanted.items()
    )
    session.flush()
    changes = RoleChanges(
        added=[s for s in wanted if s not in before],
        removed=[(s, level, importance) for s, (level, importance) in before.items() if s not in wanted],
        levels=[
            (s, before[s][0], level)
            for s, (level, _) in wanted.items()
            if s in before and before[s][0] != level
        ],
    )
    return role, resolutions, changes


def _closest_hint(session: Session, tenant_id: int, label: str) -> str:
    closest = closest_skills(session, tenant_id, label)
    return f" (closest: {', '.join(repr(c) for c in closest)})" if closest else " (no skill is close)"


def occupation_skill_inputs(session: Session, occupation: Occupation) -> list[RoleSkillInput]:
    """An ESCO occupation as a role profile: essential skills weigh more and need a higher level."""
    return [
        RoleSkillInput(
            skill=str(skill_id),
            level=ESSENTIAL_LEVEL if relation == "essential" else OPTIONAL_LEVEL,
            importance=1.0 if relation == "essential" else 0.5,
        )
        for skill_id, relation in tax.occupation_skills(session, occupation.id)
    ]


def find_occupation(session: Session, tenant_id: int, reference: str) -> Occupation | None:
    """An occupation by URI, or by its English or Dutch title (exact title first)."""
    reference = reference.strip()
    if reference.startswith("http"):
        return tax.get_occupation(session, tenant_id, reference)
    candidates = tax.find_occupations(session, tenant_id, reference)
    wanted = reference.lower()
    for occupation in candidates:
        if wanted in ((occupation.label_en or "").lower(), (occupation.label_nl or "").lower()):
            return occupation
    return candidates[0] if candidates else None

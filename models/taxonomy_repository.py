"""Queries about skills, their labels, occupations and the skills items teach. Always per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from models.tables import (
    ITEM_ACTIVE,
    PHRASE_MAX,
    TAG_AUTO,
    TAG_CONFIRMED,
    TAG_REJECTED,
    CatalogItem,
    ItemSkill,
    MicroUnit,
    Occupation,
    OccupationSkill,
    Skill,
    SkillLabel,
)

TAGGED_UNITS_PER_SKILL = 60


def skills_by_key(session: Session, tenant_id: int) -> dict[str, Skill]:
    rows = session.scalars(
        select(Skill).where(Skill.tenant_id == tenant_id).options(selectinload(Skill.labels))
    ).all()
    return {row.key: row for row in rows}


def get_skill(session: Session, tenant_id: int, skill_id: int) -> Skill | None:
    return session.scalar(
        select(Skill)
        .where(Skill.tenant_id == tenant_id, Skill.id == skill_id)
        .options(selectinload(Skill.labels))
    )


def get_skills(session: Session, tenant_id: int, skill_ids: Sequence[int]) -> dict[int, Skill]:
    if not skill_ids:
        return {}
    rows = session.scalars(
        select(Skill).where(Skill.tenant_id == tenant_id, Skill.id.in_(list(skill_ids)))
    ).all()
    return {row.id: row for row in rows}


def skill_by_key(session: Session, tenant_id: int, key: str) -> Skill | None:
    return session.scalar(
        select(Skill).where(Skill.tenant_id == tenant_id, or_(Skill.key == key, Skill.uri == key))
    )


def skill_ids_by_label(session: Session, tenant_id: int, normalized: str) -> list[int]:
    """Skills with this exact normalised label in any language, preferred labels first."""
    rows = session.execute(
        select(SkillLabel.skill_id, SkillLabel.kind)
        .where(SkillLabel.tenant_id == tenant_id, SkillLabel.normalized == normalized)
        .order_by(SkillLabel.skill_id)
    ).all()
    preferred = [skill_id for skill_id, kind in rows if kind == "preferred"]
    others = [skill_id for skill_id, kind in rows if kind != "preferred"]
    return list(dict.fromkeys(preferred + others))


def search_skills(session: Session, tenant_id: int, normalized_query: str, limit: int) -> Sequence[Skill]:
    """Skills whose label contains the query; exact and prefix matches first."""
    pattern = f"%{normalized_query}%"
    matches = (
        select(SkillLabel.skill_id, func.min(func.length(SkillLabel.normalized)).label("shortest"))
        .where(SkillLabel.tenant_id == tenant_id, SkillLabel.normalized.like(pattern))
        .group_by(SkillLabel.skill_id)
        .order_by("shortest", SkillLabel.skill_id)
        .limit(limit)
        .subquery()
    )
    rows = session.scalars(
        select(Skill)
        .join(matches, matches.c.skill_id == Skill.id)
        .order_by(matches.c.shortest, Skill.id)
        .options(selectinload(Skill.labels))
    ).all()
    return rows


def list_skills(session: Session, tenant_id: int, after_id: int, limit: int) -> Sequence[Skill]:
    return session.scalars(
        select(Skill)
        .where(Skill.tenant_id == tenant_id, Skill.id > after_id)
        .order_by(Skill.id)
        .limit(limit)
        .options(selectinload(Skill.labels))
    ).all()


def all_labels(session: Session, tenant_id: int) -> list[tuple[int, str, str]]:
    """(skill id, label, language) of every label: what the label matcher is built from."""
    rows = session.execute(
        select(SkillLabel.skill_id, SkillLabel.label, SkillLabel.language).where(
            SkillLabel.tenant_id == tenant_id
        )
    ).all()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def skill_vectors(session: Session, tenant_id: int) -> tuple[list[int], list[bytes]]:
    rows = session.execute(
        select(Skill.id, Skill.embedding)
        .where(Skill.tenant_id == tenant_id, Skill.embedding.is_not(None))
        .order_by(Skill.id)
    ).all()
    return [int(r[0]) for r in rows], [bytes(r[1] or b"") for r in rows]


def skills_without_vectors(session: Session, tenant_id: int, model: str) -> Sequence[Skill]:
    return session.scalars(
        select(Skill).where(
            Skill.tenant_id == tenant_id,
            or_(Skill.embedding.is_(None), Skill.embedding_model != model),
        )
    ).all()


# --- occupations -------------------------------------------------------------------------------


def occupations_by_uri(session: Session, tenant_id: int) -> dict[str, Occupation]:
    rows = session.scalars(select(Occupation).where(Occupation.tenant_id == tenant_id)).all()
    return {row.uri: row for row in rows}


def get_occupation(session: Session, tenant_id: int, uri: str) -> Occupation | None:
    return session.scalar(select(Occupation).where(Occupation.tenant_id == tenant_id, Occupation.uri == uri))


def get_occupation_by_id(session: Session, tenant_id: int, occupation_id: int) -> Occupation | None:
    return session.scalar(
        select(Occupation).where(Occupation.tenant_id == tenant_id, Occupation.id == occupation_id)
    )


def find_occupations(session: Session, tenant_id: int, text: str, limit: int = 10) -> Sequence[Occupation]:
    """Occupations whose English or Dutch preferred label contains `text`, shortest label first."""
    pattern = f"%{text.lower()}%"
    return session.scalars(
        select(Occupation)
        .where(
            Occupation.tenant_id == tenant_id,
            or_(func.lower(Occupation.label_en).like(pattern), func.lower(Occupation.label_nl).like(pattern)),
        )
        .order_by(func.length(func.coalesce(Occupation.label_nl, Occupation.label_en)), Occupation.id)
        .limit(limit)
    ).all()


def occupation_skills(session: Session, occupation_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(OccupationSkill.skill_id, OccupationSkill.relation)
        .where(OccupationSkill.occupation_id == occupation_id)
        .order_by(OccupationSkill.skill_id)
    ).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def replace_occupation_skills(
    session: Session, tenant_id: int, relations: dict[int, Sequence[tuple[int, str]]], fresh: set[int]
) -> None:
    """Set the skill relations of many occupations in two statements (ESCO has tens of thousands)."""
    stale = [occupation_id for occupation_id in relations if occupation_id not in fresh]
    if stale:
        session.execute(
            delete(OccupationSkill).where(OccupationSkill.occupation_id.in_(stale)),
            execution_options={"synchronize_session": False},
        )
    rows = [
        {"tenant_id": tenant_id, "occupation_id": occupation_id, "skill_id": skill_id, "relation": relation}
        for occupation_id, pairs in relations.items()
        for skill_id, relation in pairs
    ]
    if rows:
        session.execute(insert(OccupationSkill), rows)


# --- item tags ---------------------------------------------------------------------------------


def item_vectors(
    session: Session, tenant_id: int, item_ids: Sequence[int] | None = None
) -> dict[int, list[bytes]]:
    """The stored unit vectors of each active item (an item's vector is derived from these)."""
    query = (
        select(MicroUnit.item_id, MicroUnit.embedding)
        .join(CatalogItem, CatalogItem.id == MicroUnit.item_id)
        .where(
            MicroUnit.tenant_id == tenant_id,
            MicroUnit.active.is_(True),
            MicroUnit.embedding.is_not(None),
            CatalogItem.status == ITEM_ACTIVE,
        )
        .order_by(MicroUnit.item_id, MicroUnit.position)
    )
    if item_ids is not None:
        query = query.where(MicroUnit.item_id.in_(list(item_ids)))
    vectors: dict[int, list[bytes]] = {}
    for item_id, blob in session.execute(query):
        vectors.setdefault(int(item_id), []).append(bytes(blob or b""))
    return vectors


def tags_of_items(session: Session, tenant_id: int, item_ids: Sequence[int]) -> dict[int, list[ItemSkill]]:
    if not item_ids:
        return {}
    rows = session.scalars(
        select(ItemSkill).where(ItemSkill.tenant_id == tenant_id, ItemSkill.item_id.in_(list(item_ids)))
    ).all()
    out: dict[int, list[ItemSkill]] = {}
    for row in rows:
        out.setdefault(row.item_id, []).append(row)
    return out


def get_item_tag(session: Session, tenant_id: int, item_id: int, skill_id: int) -> ItemSkill | None:
    return session.scalar(
        select(ItemSkill).where(
            ItemSkill.tenant_id == tenant_id, ItemSkill.item_id == item_id, ItemSkill.skill_id == skill_id
        )
    )


@dataclass(frozen=True)
class AutoTag:
    """A tag the tagger made: the skill, how sure, where it came from, and for a label tag the words
    of the item's text that named it (quoted by a step's `why`)."""

    skill_id: int
    confidence: float
    origin: str
    phrase: str = ""


def _auto_tag(tenant_id: int, item_id: int, tag: AutoTag) -> ItemSkill:
    return ItemSkill(
        tenant_id=tenant_id,
        item_id=item_id,
        skill_id=tag.skill_id,
        confidence=tag.confidence,
        origin=tag.origin,
        phrase=tag.phrase[:PHRASE_MAX] or None,
        status=TAG_AUTO,
    )


def _refresh(row: ItemSkill, tag: AutoTag) -> None:
    row.confidence, row.origin, row.phrase = tag.confidence, tag.origin, tag.phrase[:PHRASE_MAX] or None


def replace_auto_tags(session: Session, tenant_id: int, item_id: int, tags: Sequence[AutoTag]) -> None:
    """Set an item's automatic tags; tags L&D confirmed or rejected keep their verdict."""
    existing = {row.skill_id: row for row in tags_of_items(session, tenant_id, [item_id]).get(item_id, [])}
    wanted = {tag.skill_id: tag for tag in tags}
    for skill_id, row in existing.items():
        if row.status != TAG_AUTO:
            if skill_id in wanted:
                _refresh(row, wanted[skill_id])
            continue
        if skill_id not in wanted:
            session.delete(row)
        else:
            _refresh(row, wanted[skill_id])
    for skill_id, tag in wanted.items():
        if skill_id not in existing:
            session.add(_auto_tag(tenant_id, item_id, tag))


def add_auto_tags_for_skill(
    session: Session, tenant_id: int, skill_id: int, matches: Sequence[tuple[int, AutoTag]]
) -> int:
    """Tag items with a newly created skill (never overriding a tag that exists)."""
    existing = set(
        session.scalars(
            select(ItemSkill.item_id).where(ItemSkill.tenant_id == tenant_id, ItemSkill.skill_id == skill_id)
        ).all()
    )
    added = 0
    for item_id, tag in matches:
        if item_id not in existing and tag.skill_id == skill_id:
            session.add(_auto_tag(tenant_id, item_id, tag))
            added += 1
    return added


def active_item_texts(
    session: Session, tenant_id: int, item_ids: Sequence[int] | None = None
) -> list[tuple[int, str, str, str, list[str]]]:
    """(id, title, description, language, declared skills) of active items, for tagging."""
    query = select(
        CatalogItem.id,
        CatalogItem.title,
        CatalogItem.description,
        CatalogItem.language,
        CatalogItem.declared_skills,
    ).where(CatalogItem.tenant_id == tenant_id, CatalogItem.status == ITEM_ACTIVE)
    if item_ids is not None:
        query = query.where(CatalogItem.id.in_(list(item_ids)))
    return [
        (int(r[0]), r[1], r[2], r[3], list(r[4] or []))
        for r in session.execute(query.order_by(CatalogItem.id))
    ]


def rejected_item_tags(session: Session, tenant_id: int) -> list[tuple[int, int]]:
    """(item id, skill id) of every tag L&D rejected: the item does not teach that skill."""
    rows = session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id).where(
            ItemSkill.tenant_id == tenant_id, ItemSkill.status == TAG_REJECTED
        )
    ).all()
    return [(int(item), int(skill)) for item, skill in rows]


def active_item_tags(session: Session, tenant_id: int) -> list[tuple[int, int, float, str, str, bool]]:
    """(item id, skill id, confidence, evidence, phrase, confirmed) of every tag of an active item
    that L&D did not reject; the evidence is "confirmed" when L&D confirmed it, else its origin."""
    rows = session.execute(
        select(
            ItemSkill.item_id,
            ItemSkill.skill_id,
            ItemSkill.confidence,
            ItemSkill.origin,
            ItemSkill.status,
            ItemSkill.phrase,
        )
        .join(CatalogItem, CatalogItem.id == ItemSkill.item_id)
        .where(
            ItemSkill.tenant_id == tenant_id,
            ItemSkill.status != TAG_REJECTED,
            CatalogItem.status == ITEM_ACTIVE,
        )
        .order_by(ItemSkill.skill_id, ItemSkill.item_id)
    ).all()
    return [
        (
            int(r[0]),
            int(r[1]),
            float(r[2]),
            TAG_CONFIRMED if r[4] == TAG_CONFIRMED else str(r[3]),
            str(r[5] or ""),
            r[4] == TAG_CONFIRMED,
        )
        for r in rows
    ]


def active_unit_texts(session: Session, tenant_id: int) -> list[tuple[int, str, str]]:
    """(unit id, text with its item title, item language) of every active unit: the lexical index's input."""
    rows = session.execute(
        select(MicroUnit.id, CatalogItem.title, MicroUnit.title, MicroUnit.text, CatalogItem.language)
        .join(CatalogItem, CatalogItem.id == MicroUnit.item_id)
        .where(
            MicroUnit.tenant_id == tenant_id, MicroUnit.active.is_(True), CatalogItem.status == ITEM_ACTIVE
        )
        .order_by(MicroUnit.id)
    ).all()
    return [(int(r[0]), f"{r[1]}\n{r[2]}\n{r[3]}", str(r[4])) for r in rows]

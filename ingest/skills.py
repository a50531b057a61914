"""Skills into the database: taxonomy imports, custom skills, and tagging items with the skills they teach.

Vectors are computed once, when a skill is created or its labels change, and stored; tagging an item
reads the stored unit vectors of the item, so no catalog text is ever re-encoded for tagging.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from ingest.taxonomy import Taxonomy, TaxonomyOccupation, TaxonomySkill, normalize_label
from models import taxonomy_repository as tax
from models.tables import (
    SKILL_CUSTOM,
    TAG_DECLARED,
    TAG_LABEL,
    Occupation,
    Skill,
    SkillLabel,
    utcnow,
)
from recommender.embedding import Encoder, calibration, model_name, vector_to_bytes, vectors_from_bytes
from recommender.tagging import (
    AGREEING_SHARE,
    DECLARED_MENTION,
    MENTION_SHARE,
    LabelMatcher,
    as_mention,
    combine_tags,
    embedding_tags,
    embedding_threshold,
    is_mention,
    items_for_skill,
    lists_categories,
)
from recommender.tagging import SkillLabel as MatcherLabel

MAX_ALT_LABELS_EMBEDDED = 4


@dataclass
class TaxonomyReport:
    """What a taxonomy import did."""

    skills_created: int = 0
    skills_updated: int = 0
    skills_unchanged: int = 0
    occupations_created: int = 0
    occupations_updated: int = 0
    occupations_unchanged: int = 0
    embedded: int = 0
    items_tagged: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def skill_text(skill: Skill) -> str:
    """What a skill's vector is made from: its labels in both languages and its description."""
    labels = [skill.label_en, skill.label_nl]
    alternatives = [lab.label for lab in skill.labels if lab.kind != "preferred"][:MAX_ALT_LABELS_EMBEDDED]
    head = "; ".join(dict.fromkeys(label for label in [*labels, *alternatives] if label))
    return f"{head}. {skill.description or ''}".strip()


def _label_rows(tenant_id: int, source: TaxonomySkill) -> list[SkillLabel]:
    rows: dict[tuple[str, str], SkillLabel] = {}
    for language, label in source.labels.items():
        rows[(language, normalize_label(label))] = SkillLabel(
            tenant_id=tenant_id,
            language=language,
            label=label,
            normalized=normalize_label(label),
            kind="preferred",
        )
    for language, labels in source.alt_labels.items():
        for label in labels:
            key = (language, normalize_label(label))
            if key[1] and key not in rows:
                rows[key] = SkillLabel(
                    tenant_id=tenant_id, language=language, label=label, normalized=key[1], kind="alternative"
                )
    return list(rows.values())


def _skill_payload(source: TaxonomySkill) -> dict[str, Any]:
    return {
        "labels": source.labels,
        "alt": {k: list(v) for k, v in source.alt_labels.items()},
        "descriptions": source.descriptions,
        "type": source.skill_type,
        "groups": list(source.groups),
    }


def _apply_skill(row: Skill, source: TaxonomySkill, digest: str) -> None:
    row.uri = source.uri
    row.label_en = source.labels.get("en")
    row.label_nl = source.labels.get("nl")
    row.description = source.descriptions.get("en") or source.descriptions.get("nl")
    row.skill_type = source.skill_type
    row.groups = list(source.groups)
    row.content_hash = digest
    row.embedding = None
    row.embedding_model = None
    row.updated_at = utcnow()


def _apply_occupation(row: Occupation, source: TaxonomyOccupation, digest: str) -> None:
    row.code = source.code
    row.label_en = source.labels.get("en")
    row.label_nl = source.labels.get("nl")
    row.alt_labels = {k: list(v) for k, v in source.alt_labels.items()}
    row.description = source.descriptions.get("en") or source.descriptions.get("nl")
    row.content_hash = digest


def store_taxonomy(
    session: Session, tenant_id: int, taxonomy: Taxonomy, origin: str, report: TaxonomyReport
) -> list[Skill]:
    """Upsert skills, labels and occupations; returns the skills that were created or changed."""
    existing = tax.skills_by_key(session, tenant_id)
    changed: list[Skill] = []
    for source in taxonomy.skills:
        digest = _digest(_skill_payload(source))
        row = existing.get(source.key)
        if row is not None and row.content_hash == digest:
            report.skills_unchanged += 1
            continue
        if row is None:
            row = Skill(tenant_id=tenant_id, key=source.key, origin=origin)
            session.add(row)
            existing[source.key] = row
            report.skills_created += 1
        else:
            report.skills_updated += 1
            row.labels.clear()
            session.flush()
        _apply_skill(row, source, digest)
        row.labels.extend(_label_rows(tenant_id, source))
        changed.append(row)
    session.flush()
    ids_by_key = {key: row.id for key, row in existing.items()}
    occupations = tax.occupations_by_uri(session, tenant_id)
    pending: list[tuple[Occupation, list[tuple[int, str]], bool]] = []
    for occ in taxonomy.occupations:
        relations = [(ids_by_key[k], "essential") for k in occ.essential if k in ids_by_key]
        relations += [
            (ids_by_key[k], "optional") for k in occ.optional if k in ids_by_key and k not in occ.essential
        ]
        digest = _digest(
            {
                "labels": occ.labels,
                "alt": {k: list(v) for k, v in occ.alt_labels.items()},
                "descriptions": occ.descriptions,
                "code": occ.code,
                "relations": sorted(relations),
            }
        )
        occ_row = occupations.get(occ.uri)
        if occ_row is not None and occ_row.content_hash == digest:
            report.occupations_unchanged += 1
            continue
        is_new = occ_row is None
        if occ_row is None:
            occ_row = Occupation(tenant_id=tenant_id, uri=occ.uri)
            session.add(occ_row)
            report.occupations_created += 1
        else:
            report.occupations_updated += 1
        _apply_occupation(occ_row, occ, digest)
        pending.append((occ_row, relations, is_new))
    session.flush()
    tax.replace_occupation_skills(
        session,
        tenant_id,
        {row.id: relations for row, relations, _ in pending},
        {row.id for row, _, is_new in pending if is_new},
    )
    session.flush()
    return changed


def embed_skills(session: Session, tenant_id: int, encoder: Callable[[], Encoder], model: str) -> int:
    """Give every skill without a current vector one; returns how many were encoded. A skill is what
    the catalog is searched for, so it is encoded as a query (e5's "query: "; the same vector for
    all-MiniLM-L6-v2, which has no prefixes)."""
    pending = list(tax.skills_without_vectors(session, tenant_id, model))
    if not pending:
        return 0
    vectors = encoder().encode([skill_text(skill) for skill in pending], kind="query")
    for skill, vector in zip(pending, vectors, strict=True):
        skill.embedding, skill.embedding_model = vector_to_bytes(vector), model
    session.flush()
    return len(pending)


def custom_key(label: str) -> str:
    slug = re.sub(r"[^\w]+", "-", normalize_label(label)).strip("-")
    return f"custom:{slug[:250]}"


def create_custom_skill(
    session: Session,
    tenant_id: int,
    label: str,
    language: str,
    description: str | None = None,
    alt_labels: Sequence[str] = (),
) -> Skill:
    """A tenant's own skill, named the way the company names it. Labels that differ only in what the
    key leaves out ("C" and "C++") get keys told apart by a digest of the label."""
    labels = {language: label.strip()}
    key = custom_key(label)
    if tax.skill_by_key(session, tenant_id, key) is not None:
        digest = hashlib.sha256(normalize_label(label).encode()).hexdigest()[:12]
        key = f"{key[:240]}-{digest}"
    source = TaxonomySkill(
        key=key,
        uri=None,
        labels=labels,
        alt_labels={language: tuple(a.strip() for a in alt_labels if a.strip())},
        descriptions={language: description} if description else {},
        skill_type=None,
    )
    row = Skill(tenant_id=tenant_id, key=source.key, origin=SKILL_CUSTOM)
    _apply_skill(row, source, _digest(_skill_payload(source)))
    row.labels.extend(_label_rows(tenant_id, source))
    session.add(row)
    session.flush()
    return row


def resolve_skill(session: Session, tenant_id: int, reference: str) -> Skill | None:
    """A skill by id, key, ESCO URI or label (either language)."""
    text = reference.strip()
    if text.isascii() and text.isdigit() and len(text) < 19:  # an id fits a BIGINT; "²" is no id
        by_id = tax.get_skill(session, tenant_id, int(text))
        if by_id is not None:
            return by_id  # else a label such as "5" or "2024"
    by_key = tax.skill_by_key(session, tenant_id, text)
    if by_key is not None:
        return by_key
    ids = tax.skill_ids_by_label(session, tenant_id, normalize_label(text))
    return tax.get_skill(session, tenant_id, ids[0]) if ids else None


class TenantTagger:
    """Everything needed to tag items of one tenant, loaded once per tagging run; `model` is the
    encoder the stored vectors come from (it sets the embedding threshold)."""

    def __init__(self, session: Session, tenant_id: int, *, model: str) -> None:
        self.session, self.tenant_id = session, tenant_id
        self.threshold = embedding_threshold(model)
        self.agreeing = calibration(model).at(AGREEING_SHARE)
        labels = tax.all_labels(session, tenant_id)
        self.matcher = LabelMatcher(
            MatcherLabel(skill_id, label, language) for skill_id, label, language in labels
        )
        ids, blobs = tax.skill_vectors(session, tenant_id)
        self.skill_ids = np.asarray(ids, dtype=np.int64)
        self.dimension = len(blobs[0]) // 4 if blobs else 0
        self.skill_matrix = (
            vectors_from_bytes(blobs, self.dimension) if blobs else np.zeros((0, 0), np.float32)
        )

    def tag(self, item_ids: Sequence[int] | None = None) -> int:
        """Recompute the automatic tags of these items (all active items when None)."""
        texts = tax.active_item_texts(self.session, self.tenant_id, item_ids)
        if not texts:
            return 0
        vectors = tax.item_vectors(self.session, self.tenant_id, [t[0] for t in texts])
        embedded = self._embedding_tags([t[0] for t in texts], vectors)
        for item_id, title, description, language, declared_labels in texts:
            declared = self._declared(declared_labels)
            found = self.matcher.find(f"{title}\n{description}", language)
            in_title = self.matcher.match(title, language)
            listed = declared if lists_categories(len(declared_labels)) else {}
            judged = [s for s in [*found, *listed] if s not in in_title]
            cosines = self._cosines(vectors.get(item_id), judged)
            mention = {s: is_mention(False, cosines.get(s), self.agreeing) for s in judged}
            tags = combine_tags(
                declared,
                {
                    s: match.confidence * (MENTION_SHARE if mention.get(s) else 1.0)
                    for s, match in found.items()
                },
                embedded.get(item_id, {}),
                phrases={skill: match.phrase for skill, match in found.items()},
                declared_mentions=[s for s in declared if mention.get(s)],
            )
            tax.replace_auto_tags(
                self.session,
                self.tenant_id,
                item_id,
                [tax.AutoTag(t.skill_id, t.confidence, t.origin, t.phrase) for t in tags],
            )
        self.session.flush()
        return len(texts)

    def _cosines(self, blobs: list[bytes] | None, skill_ids: Sequence[int]) -> dict[int, float]:
        """The cosine of an item and each of these skills, from stored vectors (none without them)."""
        if not blobs or not skill_ids or not self.dimension:
            return {}
        rows = {int(s): i for i, s in enumerate(self.skill_ids)}
        wanted = [s for s in skill_ids if s in rows]
        if not wanted:
            return {}
        item = _item_vector(blobs, self.dimension)
        sims = self.skill_matrix[[rows[s] for s in wanted]] @ item
        return {s: float(sim) for s, sim in zip(wanted, sims, strict=True)}

    def _declared(self, labels: Iterable[str]) -> dict[int, float]:
        declared: dict[int, float] = {}
        for label in labels:
            for skill_id in self.matcher.resolve(label)[:1]:
                declared[skill_id] = 1.0
        return declared

    def _embedding_tags(
        self, item_ids: list[int], vectors: dict[int, list[bytes]]
    ) -> dict[int, dict[int, float]]:
        if not self.dimension:
            return {}
        present = [item_id for item_id in item_ids if item_id in vectors]
        if not present:
            return {}
        matrix = np.stack([_item_vector(vectors[item_id], self.dimension) for item_id in present])
        found = embedding_tags(matrix, self.skill_matrix, self.skill_ids, threshold=self.threshold)
        return {item_id: dict(pairs) for item_id, pairs in zip(present, found, strict=True)}


def _item_vector(blobs: list[bytes], dimension: int) -> np.ndarray:
    """An item's vector: the normalised mean of its units' vectors."""
    mean = vectors_from_bytes(blobs, dimension).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm else mean).astype(np.float32)


def ensure_declared_skills(session: Session, tenant_id: int, item_ids: Sequence[int] | None) -> int:
    """Declared skills that match no skill become custom skills of the tenant (the source named them)."""
    texts = tax.active_item_texts(session, tenant_id, item_ids)
    created = 0
    seen: set[str] = set()
    for _, _, _, language, declared in texts:
        for label in declared:
            normalized = normalize_label(label)
            if not normalized or normalized in seen:
                continue
            seen.add(normalized)
            if tax.skill_ids_by_label(session, tenant_id, normalized):
                continue
            if tax.skill_by_key(session, tenant_id, custom_key(label)) is None:
                create_custom_skill(session, tenant_id, label, language if language in ("nl", "en") else "en")
                created += 1
    return created


def tag_new_skill(session: Session, tenant_id: int, skill: Skill) -> int:
    """Match a just-created skill against the whole catalog at once, from stored item vectors, by the
    same rules as a tagging run (a label only in an item's body whose meaning disagrees is a mention)."""
    matcher = LabelMatcher(MatcherLabel(skill.id, lab.label, lab.language) for lab in skill.labels)
    model = skill.embedding_model or model_name(None)
    cosines: dict[int, float] = {}
    ids: list[int] = []
    matrix = np.zeros((0, 0), np.float32)
    skill_vector: np.ndarray | None = None
    if skill.embedding is not None:
        dimension = len(skill.embedding) // 4
        vectors = tax.item_vectors(session, tenant_id)
        ids = list(vectors)
        if ids:
            matrix = np.stack([_item_vector(vectors[i], dimension) for i in ids])
            skill_vector = vectors_from_bytes([skill.embedding], dimension)[0]
            cosines = {item_id: float(sim) for item_id, sim in zip(ids, matrix @ skill_vector, strict=True)}
    agreeing = calibration(model).at(AGREEING_SHARE)
    matches: dict[int, tax.AutoTag] = {}
    for item_id, title, description, language, declared in tax.active_item_texts(session, tenant_id):
        if any(normalize_label(d) in {lab.normalized for lab in skill.labels} for d in declared):
            mention = lists_categories(len(declared)) and is_mention(
                skill.id in matcher.match(title, language), cosines.get(item_id), agreeing
            )
            matches[item_id] = tax.AutoTag(skill.id, DECLARED_MENTION if mention else 1.0, TAG_DECLARED)
            continue
        hit = matcher.find(f"{title}\n{description}", language).get(skill.id)
        if hit:
            in_title = skill.id in matcher.match(title, language)
            confidence = as_mention(hit.confidence, in_title, cosines.get(item_id), agreeing)
            matches[item_id] = tax.AutoTag(skill.id, confidence, TAG_LABEL, hit.phrase)
    if skill_vector is not None:
        for item_id, confidence in items_for_skill(
            skill_vector, matrix, np.asarray(ids, dtype=np.int64), threshold=embedding_threshold(model)
        ):
            matches.setdefault(item_id, tax.AutoTag(skill.id, confidence, "embedding"))
    return tax.add_auto_tags_for_skill(session, tenant_id, skill.id, list(matches.items()))


def tag_catalog_items(
    session: Session, tenant_id: int, item_ids: Sequence[int], encoder: Callable[[], Encoder], model: str
) -> tuple[int, int, int]:
    """After an ingest: declared skills exist, every skill has a vector, the items are tagged.
    Returns (skills created, skills embedded, items tagged)."""
    created = ensure_declared_skills(session, tenant_id, item_ids)
    embedded = embed_skills(session, tenant_id, encoder, model)
    tagged = TenantTagger(session, tenant_id, model=model).tag(item_ids)
    return created, embedded, tagged

"""The catalog's skill tags as arrays over the rows of its `CatalogColumns`: which units teach which
skill, how sure the tag is and where it came from.

A tag belongs to an item; each of the item's units carries it here, as a path step is a unit. Tags
change without a new snapshot (L&D confirms or rejects one, a new skill tags the catalog), so a
service keeps one table per snapshot and per tags version of the tenant and builds it again when
either moves. Pure: numpy and stdlib.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from recommender.catalog_columns import CatalogColumns, StringColumn


@dataclass(frozen=True)
class ItemTag:
    """One tag of an item that L&D did not reject: `evidence` is "confirmed" when L&D confirmed it,
    else the tag's origin; `phrase` the words of the text that named the skill (label tags)."""

    item_id: int
    skill_id: int
    confidence: float
    evidence: str
    phrase: str
    confirmed: bool


@dataclass(frozen=True)
class TaggedRows:
    """Entries of the table (one unit tagged with one skill) picked for a request."""

    rows: np.ndarray  # unit rows in the columns
    skills: np.ndarray
    confidence: np.ndarray
    entries: np.ndarray  # positions in the table, for `evidence_of` and `phrase_of`


@dataclass(frozen=True)
class TagTable:
    """Entries grouped by skill (`skill_ids` sorted, `offsets` into the entry arrays)."""

    skill_ids: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray
    confidence: np.ndarray
    confirmed: np.ndarray
    evidence: np.ndarray  # codes into `evidences`
    evidences: tuple[str, ...]
    phrases: StringColumn
    # (item id, skill id) of the tags L&D rejected: the item does not teach the skill, whatever
    # retrieval finds in its text
    rejected: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def build(
        cls,
        columns: CatalogColumns,
        tags: Sequence[ItemTag],
        rejected: Collection[tuple[int, int]] = (),
    ) -> TagTable:
        """Every tag on every unit of its item that the columns hold (an item without units there,
        retired or not yet published, gives none), and the pairs L&D rejected."""
        # tags sorted by skill (then as given); each expanded to the units of its item, in unit order
        order = sorted(range(len(tags)), key=lambda i: tags[i].skill_id)
        ordered = [tags[i] for i in order]
        by_item = np.argsort(columns.item_id, kind="stable")
        items_sorted = columns.item_id[by_item]
        tag_items = np.array([t.item_id for t in ordered], dtype=np.int64)
        starts = np.searchsorted(items_sorted, tag_items, side="left")
        counts = np.searchsorted(items_sorted, tag_items, side="right") - starts
        owner = np.repeat(np.arange(len(ordered)), counts)  # the tag of each entry
        within = np.arange(owner.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = by_item[np.repeat(starts, counts) + within] if owner.size else np.zeros(0, dtype=np.int64)
        skill_of = np.array([t.skill_id for t in ordered], dtype=np.int64)[owner]
        skills, first = np.unique(skill_of, return_index=True)
        offsets = np.append(first, owner.shape[0]).astype(np.int64)
        evidences = tuple(sorted({t.evidence for t in ordered}))
        code = {value: number for number, value in enumerate(evidences)}
        entry_tags = [ordered[i] for i in owner.tolist()]
        return cls(
            skill_ids=skills.astype(np.int64),
            offsets=offsets,
            rows=rows.astype(np.int64),
            confidence=np.array([t.confidence for t in ordered], dtype=np.float64)[owner],
            confirmed=np.array([t.confirmed for t in ordered], dtype=np.bool_)[owner],
            evidence=np.array([code[t.evidence] for t in ordered], dtype=np.int16)[owner],
            evidences=evidences,
            phrases=StringColumn.of([t.phrase for t in entry_tags]),
            rejected=frozenset(rejected),
        )

    def _segment(self, skill_id: int) -> tuple[int, int]:
        place = int(np.searchsorted(self.skill_ids, skill_id))
        if place >= self.skill_ids.shape[0] or int(self.skill_ids[place]) != skill_id:
            return 0, 0
        return int(self.offsets[place]), int(self.offsets[place + 1])

    def evidence_of(self, entry: int) -> str:
        return self.evidences[int(self.evidence[entry])]

    def phrase_of(self, entry: int) -> str:
        return self.phrases.text(entry)

    def best(
        self, columns: CatalogColumns, skill_ids: Sequence[int], languages: Collection[str], per_skill: int
    ) -> TaggedRows:
        """Per skill the `per_skill` best tagged units: those whose item is in one of `languages`
        (as stored) first, then the most confident, the better rated (unknown as 0), the lower unit
        id. So a skill that half a 100,000-unit catalog mentions does not load half of it."""
        wanted = np.array([code for code, name in enumerate(columns.languages) if name in languages])
        picked: list[np.ndarray] = []
        skills: list[np.ndarray] = []
        for skill_id in skill_ids:
            start, end = self._segment(skill_id)
            if start == end:
                continue
            rows = self.rows[start:end]
            other = ~np.isin(columns.language[rows], wanted) if wanted.size else np.zeros(end - start, bool)
            rating = np.nan_to_num(columns.rating[rows], nan=0.0)
            order = np.lexsort((columns.unit_id[rows], -rating, -self.confidence[start:end], other))
            picked.append(start + order[:per_skill])
            skills.append(np.full(picked[-1].shape[0], skill_id, dtype=np.int64))
        entries = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
        return TaggedRows(
            rows=self.rows[entries],
            skills=np.concatenate(skills) if skills else np.zeros(0, dtype=np.int64),
            confidence=self.confidence[entries],
            entries=entries,
        )

    def covered(self, skill_ids: Sequence[int], min_confidence: float) -> set[int]:
        """The skills of `skill_ids` with a tag at least `min_confidence` sure, or one L&D confirmed."""
        found: set[int] = set()
        for skill_id in skill_ids:
            start, end = self._segment(skill_id)
            if start == end:
                continue
            strong = (self.confidence[start:end] >= min_confidence) | self.confirmed[start:end]
            if bool(strong.any()):
                found.add(skill_id)
        return found

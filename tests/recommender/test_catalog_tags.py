"""The tag table over the catalog columns: a tag of an item is on each of its units, grouped by skill;
`best` picks per skill the learner's languages first, then the most confident, the better rated."""

from __future__ import annotations

from recommender.catalog_columns import CatalogColumns, UnitRow
from recommender.catalog_tags import ItemTag, TagTable


def _unit(unit_id: int, item_id: int, language: str, rating: float | None) -> UnitRow:
    return UnitRow(
        unit_id=unit_id,
        item_id=item_id,
        unit_title=f"Deel {unit_id}",
        minutes=10,
        position=unit_id,
        anchor=None,
        item_title=f"Cursus {item_id}",
        url=None,
        language=language,
        format="article",
        level=None,
        rating=rating,
        updated_at=None,
        source="test",
        external_id=str(item_id),
        minutes_known=True,
    )


COLUMNS = CatalogColumns.build(
    [_unit(30, 3, "en", 4.0), _unit(10, 1, "nl", None), _unit(11, 1, "nl", None), _unit(20, 2, "en", 4.5)]
)
TAGS = [
    ItemTag(2, 7, 0.9, "label", "sql joins", False),
    ItemTag(1, 7, 0.8, "declared", "", False),
    ItemTag(3, 7, 0.9, "embedding", "", False),
    ItemTag(1, 5, 0.5, "confirmed", "", True),
    ItemTag(9, 5, 1.0, "declared", "", False),  # an item the snapshot does not hold
]


def test_each_tag_is_on_every_unit_of_its_item_grouped_by_skill() -> None:
    table = TagTable.build(COLUMNS, TAGS)
    assert table.skill_ids.tolist() == [5, 7]
    assert table.offsets.tolist() == [0, 2, 6]
    units = [int(COLUMNS.unit_id[row]) for row in table.rows.tolist()]
    assert units == [10, 11, 20, 10, 11, 30]
    assert [table.evidence_of(e) for e in range(6)] == ["confirmed"] * 2 + [
        "label",
        "declared",
        "declared",
        "embedding",
    ]
    assert table.phrase_of(2) == "sql joins"


def test_best_takes_the_learners_language_first_then_confidence_then_rating() -> None:
    table = TagTable.build(COLUMNS, TAGS)
    dutch = table.best(COLUMNS, [7], {"nl"}, per_skill=3)
    assert [int(COLUMNS.unit_id[r]) for r in dutch.rows.tolist()] == [10, 11, 20]
    anyone = table.best(COLUMNS, [7, 5], (), per_skill=2)
    assert [int(COLUMNS.unit_id[r]) for r in anyone.rows.tolist()] == [20, 30, 10, 11]
    assert anyone.skills.tolist() == [7, 7, 5, 5]


def test_covered_counts_a_confirmed_tag_whatever_its_confidence() -> None:
    table = TagTable.build(COLUMNS, TAGS)
    assert table.covered([5, 7, 8], 0.85) == {5, 7}
    assert table.covered([5, 7], 0.95) == {5}
    assert TagTable.build(COLUMNS, []).covered([5], 0.0) == set()

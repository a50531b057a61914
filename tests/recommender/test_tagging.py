"""Skill tagging: label matching in Dutch and English, embedding tags against brute force, precedence."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.paths import MIN_STEP_RELEVANCE
from recommender.tagging import (
    LABEL_BASE_LONG,
    MENTION_SHARE,
    TAG_DECLARED,
    TAG_EMBEDDING,
    TAG_LABEL,
    LabelMatcher,
    SkillLabel,
    Tag,
    combine_tags,
    embedding_tags,
    is_mention,
    items_for_skill,
)

FEEDBACK_GEVEN, SQL, LEIDERSCHAP, R_LANG, QUERY, PRESENTATIE = 1, 2, 3, 4, 5, 6
FEEDBACK, CPP, NODE, STAKEHOLDERS, PROJECT_MANAGEMENT, GO_LANG = 7, 8, 9, 10, 11, 12
DATA_ANALYSIS, OMGAAN_MET_STRESS = 13, 14

LABELS = [
    SkillLabel(FEEDBACK_GEVEN, "feedback geven", "nl"),
    SkillLabel(FEEDBACK_GEVEN, "giving feedback", "en"),
    SkillLabel(SQL, "SQL", "en"),
    SkillLabel(SQL, "SQL", "nl"),
    SkillLabel(LEIDERSCHAP, "leiderschap", "nl"),
    SkillLabel(LEIDERSCHAP, "leadership", "en"),
    SkillLabel(R_LANG, "R", "en"),
    SkillLabel(QUERY, "database query", "en"),
    SkillLabel(QUERY, "query", "en"),
    SkillLabel(PRESENTATIE, "presentatie", "nl"),
    SkillLabel(PRESENTATIE, "presenting", "en"),
    SkillLabel(FEEDBACK, "feedback", "nl"),
    SkillLabel(CPP, "C++", "en"),
    SkillLabel(NODE, "Node.js", "en"),
    SkillLabel(STAKEHOLDERS, "stakeholdermanagement", "nl"),
    SkillLabel(STAKEHOLDERS, "stakeholder management", "en"),
    SkillLabel(PROJECT_MANAGEMENT, "project management", "en"),
    SkillLabel(PROJECT_MANAGEMENT, "projectmanagement", "nl"),
    SkillLabel(GO_LANG, "Go", "en"),
    SkillLabel(DATA_ANALYSIS, "analysing data with statistical software", "en"),
    SkillLabel(OMGAAN_MET_STRESS, "omgaan met stress", "nl"),
]


@pytest.fixture(scope="module")
def matcher() -> LabelMatcher:
    return LabelMatcher(LABELS)


# Label matching


def test_dutch_multi_word_label_in_a_course_sentence(matcher: LabelMatcher) -> None:
    found = matcher.match("In deze training leer je feedback geven aan collega's.", language="nl")
    assert FEEDBACK_GEVEN in found
    assert found[FEEDBACK_GEVEN] == pytest.approx(0.75)


def test_english_sql_and_stemmed_query(matcher: LabelMatcher) -> None:
    found = matcher.match("Write SQL queries with joins and window functions", language="en")
    assert SQL in found
    assert QUERY in found  # "queries" and "query" share the stem


def test_dutch_plural_finds_the_singular_label(matcher: LabelMatcher) -> None:
    found = matcher.match("Je oefent drie korte presentaties voor het managementteam.", language="nl")
    assert PRESENTATIE in found


def test_dutch_compound_holds_a_label_as_its_last_part(matcher: LabelMatcher) -> None:
    found = matcher.match("Een module over teamleiderschap in een groeiende scale-up", language="nl")
    assert found == {LEIDERSCHAP: pytest.approx(0.5)}
    plural = matcher.match("Vijf vormen van teamleiderschappen", language="nl")
    assert LEIDERSCHAP in plural


def test_dutch_compound_holds_a_label_as_its_first_part(matcher: LabelMatcher) -> None:
    found = matcher.match("Zo bereid je een goed feedbackgesprek voor.", language="nl")
    assert found[FEEDBACK] == pytest.approx(0.5)


def test_compounds_are_not_looked_for_in_english_text(matcher: LabelMatcher) -> None:
    assert matcher.match("Why teamleiderschap matters", language="en") == {}


def test_a_plural_is_not_taken_for_a_compound(matcher: LabelMatcher) -> None:
    # "feedbacks" is the label plus two letters: a compound needs a rest of three or more.
    found = matcher.match("Feedbacks verzamelen", language="nl")
    assert found.get(FEEDBACK, 0.0) != pytest.approx(0.5)


def test_short_label_matches_only_the_exact_token(matcher: LabelMatcher) -> None:
    assert R_LANG not in matcher.match("Write a report on r and other letters, or a short remark")
    assert R_LANG not in matcher.match("Regression analysis for beginners")
    assert R_LANG in matcher.match("Regression analysis in R")
    assert GO_LANG not in matcher.match("We go to the office and learn to go further")
    assert GO_LANG in matcher.match("Concurrency in Go with goroutines")


def test_tokens_with_symbols_survive_normalisation(matcher: LabelMatcher) -> None:
    found = matcher.match("Backend services in C++ and Node.js.", language="en")
    assert CPP in found and NODE in found
    assert CPP not in matcher.match("Grade C and C+ students", language="en")


def test_hyphens_and_case_do_not_hide_a_label(matcher: LabelMatcher) -> None:
    # A hyphen separates tokens like a space does, so "project-management" is the two-word label.
    assert PROJECT_MANAGEMENT in matcher.match("Agile project-management", language="en")
    assert PROJECT_MANAGEMENT in matcher.match("Project Management for product owners", language="en")


def test_multi_word_labels_score_higher_than_single_words(matcher: LabelMatcher) -> None:
    found = matcher.match(
        "Learn about feedback, SQL and analysing data with statistical software", language="en"
    )
    assert found[DATA_ANALYSIS] == pytest.approx(0.85)
    assert found[SQL] == pytest.approx(0.6)
    assert found[DATA_ANALYSIS] > found[SQL]
    two = matcher.match("stakeholder management", language="en")[STAKEHOLDERS]
    one = matcher.match("SQL", language="en")[SQL]
    assert two > one


def test_repeated_label_scores_higher_but_stays_capped(matcher: LabelMatcher) -> None:
    once = matcher.match("Basics of SQL.", language="en")[SQL]
    twice = matcher.match("Basics of SQL. Advanced SQL.", language="en")[SQL]
    assert twice == pytest.approx(once + 0.1)
    long_twice = matcher.match(
        "analysing data with statistical software, and again analysing data with statistical software"
    )[DATA_ANALYSIS]
    assert long_twice == pytest.approx(0.95)


def test_label_in_another_language_counts_a_little_less(matcher: LabelMatcher) -> None:
    dutch = matcher.match("Stakeholder management voor productmanagers", language="nl")
    english = matcher.match("Stakeholder management for product managers", language="en")
    assert dutch[STAKEHOLDERS] == pytest.approx(english[STAKEHOLDERS] - 0.1)
    unknown = matcher.match("Stakeholder management voor productmanagers")
    assert unknown[STAKEHOLDERS] == pytest.approx(english[STAKEHOLDERS])


def test_label_with_stopwords_inside_matches(matcher: LabelMatcher) -> None:
    found = matcher.match("Tips om beter om te gaan met werkdruk en omgaan met stress", language="nl")
    assert OMGAAN_MET_STRESS in found


def test_stopword_and_lowercase_short_labels_are_ignored_for_matching() -> None:
    matcher = LabelMatcher(
        [
            SkillLabel(1, "of", "en"),
            SkillLabel(2, "het", "nl"),
            SkillLabel(3, "ai", "en"),
            SkillLabel(4, "AI", "en"),
        ]
    )
    assert matcher.match("The art of being het ai, AI-gedreven werken") == {4: pytest.approx(0.6)}
    assert matcher.resolve("of") == [1]  # still resolvable by name


def test_ambiguous_labels_score_lower() -> None:
    labels = [SkillLabel(skill, "communicatie", "nl") for skill in (1, 2, 3)] + [
        SkillLabel(4, "planning", "nl")
    ]
    found = LabelMatcher(labels).match("Communicatie en planning", language="nl")
    assert found[1] == found[2] == found[3] == pytest.approx(0.5)
    assert found[4] == pytest.approx(0.6)


def test_longer_than_max_ngram_labels_are_not_matched() -> None:
    label = SkillLabel(1, "one two three four", "en")
    assert LabelMatcher([label], max_ngram=3).match("one two three four") == {}
    assert LabelMatcher([label], max_ngram=4).match("one two three four") == {1: pytest.approx(0.85)}


def test_empty_text_and_empty_matcher() -> None:
    assert LabelMatcher(LABELS).match("") == {}
    assert LabelMatcher(LABELS).match("  ...  ") == {}
    assert LabelMatcher([]).match("SQL queries") == {}


def test_unknown_label_language_is_matched_unstemmed() -> None:
    matcher = LabelMatcher([SkillLabel(1, "Kundenservice", "xx")])
    assert matcher.match("Guter Kundenservice") == {1: pytest.approx(0.6)}
    assert matcher.resolve("KUNDENSERVICE") == [1]


# resolve


def test_resolve_across_languages(matcher: LabelMatcher) -> None:
    assert matcher.resolve("Feedback Geven") == [FEEDBACK_GEVEN]
    assert matcher.resolve("giving feedback") == [FEEDBACK_GEVEN]
    assert matcher.resolve("leadership") == matcher.resolve("Leiderschap") == [LEIDERSCHAP]
    assert matcher.resolve("presentaties") == [PRESENTATIE]
    assert matcher.resolve("queries") == [QUERY]
    assert matcher.resolve("sql") == [SQL]
    assert matcher.resolve("r") == [R_LANG]


def test_resolve_is_exact_not_a_search(matcher: LabelMatcher) -> None:
    assert matcher.resolve("feedback geven aan collega's") == []
    assert matcher.resolve("management") == []
    assert matcher.resolve("") == []
    assert matcher.resolve("!!") == []


def test_resolve_returns_every_skill_with_the_label_sorted() -> None:
    matcher = LabelMatcher([SkillLabel(9, "Coaching", "en"), SkillLabel(3, "coaching", "nl")])
    assert matcher.resolve("coaching") == [3, 9]


# Embedding tags


def unit_vectors(n: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    matrix = rng.normal(size=(n, dim)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def brute_force(
    items: np.ndarray, skills: np.ndarray, ids: np.ndarray, threshold: float, top_k: int
) -> list[list[tuple[int, float]]]:
    sims = items.astype(np.float64) @ skills.astype(np.float64).T
    result = []
    for row in sims:
        order = sorted(range(len(row)), key=lambda j: -row[j])[:top_k]
        chosen = [j for j in order if row[j] >= threshold]
        result.append(
            [
                (int(ids[j]), min(0.9, max(0.0, (row[j] - threshold) / (1 - threshold) * 0.5 + 0.4)))
                for j in chosen
            ]
        )
    return result


def assert_same_tags(got: list[list[tuple[int, float]]], expected: list[list[tuple[int, float]]]) -> None:
    assert len(got) == len(expected)
    for got_row, expected_row in zip(got, expected, strict=True):
        assert [skill for skill, _ in got_row] == [skill for skill, _ in expected_row]
        assert [c for _, c in got_row] == pytest.approx([c for _, c in expected_row], abs=1e-5)


@pytest.mark.parametrize(
    ("threshold", "top_k", "batch"),
    # Few candidates per row, some rows over top_k, most rows over it (the row-by-row path), no cap.
    [(0.6, 10, 1), (0.3, 5, 16), (0.3, 3, 7), (-0.2, 4, 50), (-1.0, 1, 13), (0.0, 2, 9), (-1.0, 40, 64)],
)
def test_embedding_tags_equal_brute_force_over_several_batches(
    threshold: float, top_k: int, batch: int
) -> None:
    rng = np.random.default_rng(7)
    items, skills = unit_vectors(103, 8, rng), unit_vectors(40, 8, rng)
    ids = np.arange(1000, 1040, dtype=np.int64)
    got = embedding_tags(items, skills, ids, threshold=threshold, top_k=top_k, batch=batch)
    assert_same_tags(got, brute_force(items, skills, ids, threshold, top_k))


def test_embedding_tags_respect_threshold_and_top_k() -> None:
    rng = np.random.default_rng(11)
    items, skills = unit_vectors(64, 6, rng), unit_vectors(30, 6, rng)
    ids = np.arange(30)
    got = embedding_tags(items, skills, ids, threshold=0.2, top_k=3, batch=10)
    sims = items @ skills.T
    assert any(len(row) == 3 for row in got)  # the cap is reached somewhere
    for index, row in enumerate(got):
        assert len(row) <= 3
        assert all(sims[index, skill] >= 0.2 - 1e-6 for skill, _ in row)
        confidences = [c for _, c in row]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0.4 <= c <= 0.9 for c in confidences)
        above = np.sort(sims[index][sims[index] >= 0.2])[::-1]
        assert len(row) == min(3, above.size)


def test_embedding_confidence_mapping() -> None:
    skills = np.eye(3, dtype=np.float32)
    exact = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    at_threshold = np.array([[0.45, np.sqrt(1 - 0.45**2), 0.0]], dtype=np.float32)
    [[(skill, confidence)]] = embedding_tags(exact, skills, np.array([5, 6, 7]), top_k=1)
    assert (skill, confidence) == (5, pytest.approx(0.9))
    [row] = embedding_tags(at_threshold, skills, np.array([5, 6, 7]), threshold=0.45)
    assert row[0][0] == 6 and row[1] == (5, pytest.approx(0.4, abs=1e-5))


def test_embedding_tags_edge_cases() -> None:
    rng = np.random.default_rng(3)
    items, skills = unit_vectors(4, 5, rng), unit_vectors(6, 5, rng)
    assert embedding_tags(items, skills, np.arange(6), top_k=0) == [[], [], [], []]
    assert embedding_tags(items[:0], skills, np.arange(6)) == []
    assert embedding_tags(items, skills[:0], np.arange(0)) == [[], [], [], []]
    with pytest.raises(ValueError, match="dimensions"):
        embedding_tags(items, unit_vectors(6, 4, rng), np.arange(6))
    with pytest.raises(ValueError, match="skill ids"):
        embedding_tags(items, skills, np.arange(5))
    with pytest.raises(ValueError, match="threshold"):
        embedding_tags(items, skills, np.arange(6), threshold=1.0)


def test_items_for_skill_matches_the_item_side_view() -> None:
    rng = np.random.default_rng(5)
    items, skill = unit_vectors(500, 8, rng), unit_vectors(1, 8, rng)
    ids = np.arange(10_000, 10_500, dtype=np.int64)
    got = items_for_skill(skill[0], items, ids, threshold=0.4, top_k=20)
    expected = brute_force(skill, items, ids, 0.4, 20)[0]
    assert len(got) == 20  # enough items lie above 0.4 in 8 dimensions for the cap to bite
    assert [item for item, _ in got] == [item for item, _ in expected]
    assert [c for _, c in got] == pytest.approx([c for _, c in expected], abs=1e-5)
    few = items_for_skill(skill[0], items, ids, threshold=0.9, top_k=200)
    assert all(float(items[item - 10_000] @ skill[0]) >= 0.9 - 1e-6 for item, _ in few)
    assert len(few) < 200


def test_a_skill_created_later_tags_the_same_items_as_a_full_run() -> None:
    rng = np.random.default_rng(9)
    items, skills = unit_vectors(200, 6, rng), unit_vectors(12, 6, rng)
    ids = np.arange(12)
    full = embedding_tags(items, skills, ids, threshold=0.5, top_k=12)
    late = dict(items_for_skill(skills[11], items, np.arange(200), threshold=0.5, top_k=200))
    from_full = {item: dict(row)[11] for item, row in enumerate(full) if 11 in dict(row)}
    assert late.keys() == from_full.keys()
    for item, confidence in late.items():
        assert confidence == pytest.approx(from_full[item], abs=1e-6)


# combine_tags


def test_declared_skills_win_and_get_high_confidence() -> None:
    tags = combine_tags({1: 0.5}, {1: 0.75, 2: 0.6}, {1: 0.9, 2: 0.8, 3: 0.5})
    assert tags == [
        Tag(1, 0.95, TAG_DECLARED),
        Tag(2, 0.6, TAG_LABEL),
        Tag(3, 0.5, TAG_EMBEDDING),
    ]


def test_combined_tags_are_sorted_by_confidence() -> None:
    tags = combine_tags({}, {1: 0.6, 2: 0.85}, {3: 0.7, 4: 0.41})
    assert [tag.skill_id for tag in tags] == [2, 3, 1, 4]
    assert [tag.origin for tag in tags] == [TAG_LABEL, TAG_EMBEDDING, TAG_LABEL, TAG_EMBEDDING]


def test_max_tags_never_drops_a_declared_skill() -> None:
    declared = {skill: 0.95 for skill in range(5)}
    labelled = {skill: 0.95 for skill in range(10, 20)}
    tags = combine_tags(declared, labelled, {30: 0.9}, max_tags=3)
    assert {tag.skill_id for tag in tags} == set(range(5))
    tags = combine_tags({1: 0.2}, {2: 1.0, 3: 0.9}, {4: 0.9}, max_tags=2)
    assert [(tag.skill_id, tag.origin) for tag in tags] == [(2, TAG_LABEL), (1, TAG_DECLARED)]


def test_combine_keeps_a_declared_confidence_above_the_floor_and_clips() -> None:
    tags = combine_tags({1: 1.0, 2: 3.0}, {}, {3: -0.5}, max_tags=12)
    assert tags == [Tag(1, 1.0, TAG_DECLARED), Tag(2, 1.0, TAG_DECLARED), Tag(3, 0.0, TAG_EMBEDDING)]
    assert combine_tags({}, {}, {}) == []


# The words a label match quotes


def test_a_match_keeps_the_texts_own_words_for_each_skill(matcher: LabelMatcher) -> None:
    found = matcher.find(
        "Zo houd je een Presentatie over je Stakeholdermanagement en leer je Feedback Geven.", language="nl"
    )
    assert found[FEEDBACK_GEVEN].phrase == "Feedback Geven"  # as the text writes it, not the label
    assert found[STAKEHOLDERS].phrase == "Stakeholdermanagement"
    assert found[PRESENTATIE].phrase == "Presentatie"
    assert {skill: m.confidence for skill, m in found.items()} == matcher.match(
        "Zo houd je een Presentatie over je Stakeholdermanagement en leer je Feedback Geven.", language="nl"
    )


def test_a_stemmed_or_compound_match_quotes_the_variant_the_text_has(matcher: LabelMatcher) -> None:
    found = matcher.find("Drie feedbackgesprekken en twee database queries per week.", language=None)
    assert found[QUERY].phrase == "database queries"  # the stemmed label, in the text's own form
    assert found[FEEDBACK].phrase == "feedbackgesprekken"  # the compound that holds the label


def test_label_tags_carry_their_phrase_and_other_tags_none() -> None:
    tags = combine_tags({1: 1.0}, {2: 0.8, 1: 0.9}, {3: 0.7}, phrases={1: "x", 2: "retention analysis"})
    by_skill = {tag.skill_id: tag for tag in tags}
    assert (by_skill[2].origin, by_skill[2].phrase) == (TAG_LABEL, "retention analysis")
    assert (by_skill[1].origin, by_skill[1].phrase) == (TAG_DECLARED, "")
    assert (by_skill[3].origin, by_skill[3].phrase) == (TAG_EMBEDDING, "")


def test_the_quoted_words_are_the_texts_span_with_its_own_punctuation(matcher: LabelMatcher) -> None:
    found = matcher.find("Oefenen met feedback-geven in je team.", language="nl")
    assert found[FEEDBACK_GEVEN].phrase == "feedback-geven"


def test_no_label_runs_over_the_end_of_a_sentence_or_heading(matcher: LabelMatcher) -> None:
    assert PROJECT_MANAGEMENT in matcher.match("Basics of project management for teams.", language="en")
    for text in ("We start the project. Management comes later.", "Project: management of a budget"):
        assert PROJECT_MANAGEMENT not in matcher.match(text, language="en"), text


def test_a_declared_skill_from_a_category_list_that_disagrees_is_kept_as_a_mention() -> None:
    tags = combine_tags({1: 1.0, 2: 1.0}, {}, {}, declared_mentions=[2])
    by_skill = {tag.skill_id: tag for tag in tags}
    assert by_skill[1].confidence == 1.0
    assert by_skill[2].origin == TAG_DECLARED  # never dropped, but below a declared skill that agrees
    assert by_skill[2].confidence == pytest.approx(LABEL_BASE_LONG * MENTION_SHARE)
    assert by_skill[2].confidence < MIN_STEP_RELEVANCE  # a mention is no path step on its own
    assert [tag.skill_id for tag in tags] == [1, 2]


def test_a_mention_is_a_body_match_whose_meaning_disagrees() -> None:
    assert is_mention(in_title=False, cosine=0.3, agreeing=0.5)
    assert not is_mention(in_title=True, cosine=0.3, agreeing=0.5)
    assert not is_mention(in_title=False, cosine=0.6, agreeing=0.5)
    assert not is_mention(in_title=False, cosine=None, agreeing=0.5)  # no vectors: not judged

"""A step's `why` quotes only what the unit's text says: the words that named the skill, and the
skill they count for when those words are not its label."""

from __future__ import annotations

import pytest

from recommender.explanations import LABEL, GapFacts, StepFacts, explain_step

GAP_EN = GapFacts(label="product analytics", required=3, current=0.0, importance=0.6)
GAP_NL = GapFacts(label="productanalyse", required=3, current=0.0, importance=0.6)


def _step(phrase: str) -> StepFacts:
    return StepFacts(
        title="Advanced SQL: Reading a query plan",
        minutes=12,
        format="course",
        level="advanced",
        level_fit=False,
        evidence=LABEL,
        evidence_detail=phrase,
    )


@pytest.mark.parametrize(
    ("phrase", "gap", "dutch", "sentence"),
    [
        (
            "retention analysis",
            GAP_EN,
            False,
            'The text names "retention analysis" (counted as product analytics).',
        ),
        ("retentieanalyse", GAP_NL, True, 'De tekst noemt "retentieanalyse" (telt als productanalyse).'),
        ("Product Analytics", GAP_EN, False, 'The text names "Product Analytics".'),
        ("", GAP_EN, False, "The text names product analytics or another name for it."),
        ("", GAP_NL, True, "De tekst noemt productanalyse of een andere naam ervoor."),
    ],
)
def test_a_label_match_quotes_the_texts_words_and_never_claims_the_label(
    phrase: str, gap: GapFacts, dutch: bool, sentence: str
) -> None:
    why = explain_step(_step(phrase), gap, "Product manager", dutch)
    assert sentence in why
    if phrase.casefold() != gap.label.casefold():
        assert f'"{gap.label}"' not in why  # the label is never quoted as if the text said it

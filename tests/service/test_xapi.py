"""The xAPI statement parser and the ISO 8601 duration reader: pure, no database."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.events.xapi import VERB_IRIS, ParsedStatement, derived_id, parse_duration, parse_statement

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ADL = "http://adlnet.gov/expapi/verbs/"


def statement(**changes: Any) -> dict[str, Any]:
    """A valid completed statement; `changes` replace top-level properties (None removes one)."""
    base: dict[str, Any] = {
        "id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "e-1"}},
        "verb": {"id": ADL + "completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "urn:leerpad:activity:csv:sql-1"},
        "result": {"completion": True, "duration": "PT14M30S", "score": {"scaled": 0.8, "raw": 8, "max": 10}},
        "timestamp": "2025-03-04T09:30:00+01:00",
        "version": "1.0.3",
    }
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def parsed(raw: Any) -> ParsedStatement:
    result = parse_statement(raw, NOW)
    assert isinstance(result, ParsedStatement), result
    return result


def reason(raw: Any) -> str:
    result = parse_statement(raw, NOW)
    assert isinstance(result, str), f"expected a rejection, got {result}"
    return result


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H2M3.5S", 3723.5),
        ("P1DT2H", 93_600.0),
        ("PT03M15S", 195.0),
        ("PT0,5S", 0.5),
        ("P2W", 14 * 86_400.0),
        ("PT90M", 5_400.0),
        ("P1Y2M", (365 + 60) * 86_400.0),
        ("PT0S", 0.0),
    ],
)
def test_durations_in_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "P1DT", "PT1H2", "-PT1S", "pt1h", "1H", "PT1.S", "P1H", "PT1D"]
)
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601 duration"):
        parse_duration(text)


def test_a_valid_statement_gives_the_fields_the_model_reads() -> None:
    result = parsed(statement())
    assert result.statement_id == "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a" and result.id_given
    assert (result.actor_key, result.verb, result.verb_iri) == (
        "account|https://lms.example|e-1",
        "completed",
        ADL + "completed",
    )
    assert result.activity_id == "urn:leerpad:activity:csv:sql-1"
    assert result.occurred_at == datetime(2025, 3, 4, 8, 30, tzinfo=UTC)
    assert (result.score_scaled, result.score_raw, result.completion, result.success) == (
        0.8,
        8.0,
        True,
        None,
    )
    assert result.duration_seconds == 870.0


def test_every_accepted_verb_is_known_by_its_iri() -> None:
    assert sorted(set(VERB_IRIS.values())) == sorted(
        ["completed", "passed", "failed", "experienced", "rated", "dismissed", "postponed"]
    )
    for iri, verb in VERB_IRIS.items():
        assert parsed(statement(verb={"id": iri})).verb == verb


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "not-a-uuid"}, "id: not a UUID"),
        ({"id": 12}, "id: not a UUID"),
        ({"actor": None}, "actor: missing"),
        ({"actor": {"mbox": "a@example.com"}}, "actor.mbox: 'a@example.com' is not a mailto: address"),
        ({"actor": {"mbox": "mailto:a@example.com", "openid": "https://id.example/a"}}, "actor: exactly one"),
        (
            {"actor": {"account": {"homePage": "https://lms.example"}}},
            "actor.account.name: a non-empty string",
        ),
        ({"actor": {"account": {"name": "e-1"}}}, "actor.account.homePage: a URL is required"),
        ({"actor": {"objectType": "Group", "member": []}}, "actor.objectType: 'Group'"),
        ({"verb": None}, "verb: missing"),
        ({"verb": {"display": {"en": "did"}}}, "verb.id: missing"),
        (
            {"verb": {"id": ADL + "registered"}},
            f"verb.id: '{ADL}registered' is not a verb Leerpad uses "
            "(completed, passed, failed, experienced, rated, dismissed, postponed)",
        ),
        ({"object": None}, "object: missing"),
        ({"object": {"objectType": "Activity"}}, "object.id: missing"),
        ({"object": {"id": "just words"}}, "object.id: 'just words' is not an absolute IRI"),
        ({"object": {"objectType": "StatementRef", "id": "x:y"}}, "object.objectType: 'StatementRef'"),
        ({"timestamp": "yesterday"}, "timestamp: not an ISO 8601 date-time"),
        ({"timestamp": "2025-03-04"}, "timestamp: not an ISO 8601 date-time"),
        ({"timestamp": "2025-04-01T00:00:00Z"}, "timestamp: 2025-04-01T00:00:00+00:00 is in the future"),
        ({"result": "done"}, "result: not a JSON object"),
        ({"result": {"duration": "14 minutes"}}, "result.duration: not an ISO 8601 duration"),
        ({"result": {"score": {"scaled": 1.5}}}, "result.score.scaled: must lie in -1..1"),
        ({"result": {"score": {"scaled": "high"}}}, "result.score.scaled: not a number"),
        ({"result": {"score": {"raw": 11, "min": 0, "max": 10}}}, "result.score.raw: must lie between"),
        ({"result": {"score": {"min": 5, "max": 5}}}, "result.score.max: must be greater than"),
        ({"result": {"success": "yes"}}, "result.success: not true or false"),
        ({"result": {"completion": 1}}, "result.completion: not true or false"),
    ],
)
def test_rejections_name_the_field(changes: dict[str, Any], expected: str) -> None:
    assert reason(statement(**changes)).startswith(expected)


def test_rated_needs_a_score_and_anything_else_needs_none() -> None:
    rated = {"id": "http://id.tincanapi.com/verb/rated"}
    assert reason(statement(verb=rated, result=None)).startswith(
        "result.score: missing; rated needs result.score"
    )
    assert reason(statement(verb=rated, result={"score": {"min": 1, "max": 5}})).startswith(
        "result.score: missing"
    )
    assert parsed(statement(verb=rated, result={"score": {"raw": 4, "min": 1, "max": 5}})).score_raw == 4.0
    assert parsed(statement(verb={"id": ADL + "experienced"}, result=None)).score_scaled is None


def test_not_an_object_is_rejected() -> None:
    assert reason([1, 2]) == "statement: not a JSON object"
    assert reason("completed") == "statement: not a JSON object"


def test_a_small_clock_skew_is_allowed_and_a_missing_timestamp_means_now() -> None:
    ahead = (NOW + timedelta(minutes=5)).isoformat()
    assert parsed(statement(timestamp=ahead)).occurred_at == NOW + timedelta(minutes=5)
    assert parsed(statement(timestamp=None)).occurred_at == NOW
    naive = parsed(statement(timestamp="2025-03-04T09:30:00"))
    assert naive.occurred_at == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)  # no zone: UTC


def test_a_statement_without_id_gets_the_same_id_for_the_same_content() -> None:
    first = parsed(statement(id=None))
    assert not first.id_given and first.statement_id == derived_id(statement(id=None))
    # what an LRS may add or rewrite does not change the content ...
    rewritten = statement(
        id=None,
        timestamp="2025-03-04T08:30:00Z",
        verb={"id": ADL + "completed", "display": {"nl-NL": "voltooid"}},
        object={"id": "urn:leerpad:activity:csv:sql-1", "definition": {"name": {"en": "SQL"}}},
        stored="2025-03-05T00:00:00Z",
        version="1.0.0",
        authority={"mbox": "mailto:lms@example.com"},
    )
    again = parsed(rewritten)
    assert again.statement_id == first.statement_id and again.fingerprint == first.fingerprint
    # ... what happened does
    other = statement(id=None, result={"completion": True, "duration": "PT15M"})
    assert parsed(other).statement_id != first.statement_id
    later = parsed(statement(id=None, timestamp="2025-03-04T10:30:00+01:00"))
    assert later.statement_id != first.statement_id


def test_the_given_id_is_kept_in_lower_case_and_the_input_is_not_changed() -> None:
    raw = statement(id="0F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A")
    before = copy.deepcopy(raw)
    assert parsed(raw).statement_id == "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    assert raw == before

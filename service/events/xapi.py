"""Reading one xAPI 1.0.3 statement: validate what Leerpad relies on, keep the rest as received.

Pure (no database): the events service resolves employees and activities afterwards. The actor
must be one Agent (an account, an address, its SHA-1 or an OpenID: service.events.actors); which
employee it is, the identity mapping decides (service.events.identities). A statement is either a `ParsedStatement` or a rejection reason that names the field, such as
"timestamp: not an ISO 8601 date-time", so an LMS can fix exactly what was wrong.

Verbs. Leerpad uses seven verbs and knows them by IRI (`VERB_IRIS`): the ADL verbs completed,
passed, failed and experienced, the Tin Can registry's rated, and Leerpad's own IRIs for dismissed
and postponed (no public vocabulary defines "the learner dismissed this recommendation" or "asked
to see it later"), plus the IRIs Moodle and
Open edX send for the same things (viewed, progressed, abandoned). Answers, scores and grades
(`RESULT_VERB_IRIS`) are a passed or failed test by their result.success. Every other verb
(registered, played, ...) is rejected with that reason: it decides nothing here (the LRS endpoint,
service/xapi, still stores it).

Identity. The statement id is the idempotency key. A statement without one gets a UUID5 of its
canonical content (`comparable`), so resending the same statement gives the same id and counts as
a duplicate instead of a second event. "Same content" follows xAPI's immutability rules: the
properties an LRS may fill in or rewrite (id, authority, stored, version, attachments), the verb's
display, the activity's definition, default objectTypes and the time zone of the timestamp do not
count as differences.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.core.schemas import json_shape_problem
from service.events.actors import IdentityInputError, actor_keys

ADL = "http://adlnet.gov/expapi/verbs/"
VERB_IRIS: dict[str, str] = {
    f"{ADL}completed": "completed",
    f"{ADL}passed": "passed",
    f"{ADL}failed": "failed",
    f"{ADL}experienced": "experienced",
    "http://id.tincanapi.com/verb/rated": "rated",
    "urn:leerpad:verb:dismissed": "dismissed",
    "urn:leerpad:verb:postponed": "postponed",
    # What LMSs send for the same things: Moodle (logstore_xapi) and Open edX (event-routing-backends)
    # say "viewed" and "progressed" where a learner looked at or worked through content, and cmi5
    # "abandoned" where the learner walked away from it.
    "http://id.tincanapi.com/verb/viewed": "experienced",
    f"{ADL}progressed": "experienced",
    "https://w3id.org/xapi/adl/verbs/abandoned": "dismissed",
}
# Verbs whose meaning is in their result: an answer, a score or a grade with result.success is a
# passed or failed test (Moodle's answered and scored, Open edX's earned and evaluated); without
# result.success they say nothing Leerpad can use.
RESULT_VERB_IRIS: frozenset[str] = frozenset(
    {
        f"{ADL}answered",
        f"{ADL}scored",
        "https://w3id.org/xapi/tla/verbs/scored",
        "http://id.tincanapi.com/verb/earned",
        "https://w3id.org/xapi/acrossx/verbs/evaluated",
    }
)
VERBS: tuple[str, ...] = tuple(dict.fromkeys(VERB_IRIS.values()))
SCORED_VERBS = frozenset({"rated"})  # the rating is the score; without one the statement says nothing

# Ids given to statements that come without one: uuid5(STATEMENT_NAMESPACE, canonical content).
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:leerpad:xapi:statement")
MAX_CLOCK_SKEW = timedelta(minutes=10)  # an LMS clock a little ahead is not an error

# Properties an LRS may assign or rewrite; they never make two statements different.
_ASSIGNED = ("id", "authority", "stored", "version", "attachments")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")  # absolute: a scheme, then no white space
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"^P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
# Seconds per designator of _DURATION, in group order. Years and months have no fixed length; a
# duration in them is rare in xAPI and is read as 365 and 30 days.
_DURATION_SECONDS = (365 * 86_400, 30 * 86_400, 7 * 86_400, 86_400, 3_600, 60, 1)


# A statement is kept as received; real ones nest about 8 deep (context.contextActivities.parent[0]
# .definition.extensions...) and hold a few dozen values.
MAX_STATEMENT_DEPTH = 32
MAX_STATEMENT_VALUES = 10_000


class _Rejected(Exception):
    """Internal: the first thing wrong with a statement."""


@dataclass(frozen=True)
class ParsedStatement:
    """What Leerpad reads from a valid statement; the statement itself is stored as received."""

    statement_id: str  # lower-case UUID, given or derived from the content
    id_given: bool
    actor_key: str  # canonical (service.events.actors): "account|<homePage>|<name>", "mbox|...", ...
    actor: Mapping[str, Any]  # as sent: what service.events.identities maps to an employee
    verb: str
    verb_iri: str
    activity_id: str
    occurred_at: datetime  # aware UTC; the time it was received when the statement has no timestamp
    score_scaled: float | None
    score_raw: float | None
    success: bool | None
    completion: bool | None
    duration_seconds: float | None
    fingerprint: str  # sha256 of the canonical content: equal fingerprints are the same statement


def parse_duration(text: str) -> float:
    """Seconds in an ISO 8601 duration ('PT1H2M3.5S', 'P1DT2H', 'PT03M15S', 'P2W').

    A day is 24 hours, a year 365 days and a month 30 days. Raises ValueError for anything else,
    including 'P', 'PT' and negative durations, which ISO 8601 does not define."""
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()) or text.strip().endswith("T"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    return math.fsum(
        float(value.replace(",", ".")) * seconds
        for value, seconds in zip(match.groups(), _DURATION_SECONDS, strict=True)
        if value
    )


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 date-time as aware UTC; one without a zone is read as UTC (as xAPI LRSs do).

    A date alone is refused: a learning event happened at a moment, and midnight would be a guess."""
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # a zone that moves the moment out of datetime's range
        raise ValueError(f"not an ISO 8601 date-time: {text!r}") from None


def comparable(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement without what xAPI lets an LRS assign or rewrite: what "the same statement" means."""
    content = {key: value for key, value in statement.items() if key not in _ASSIGNED}
    verb = content.get("verb")
    if isinstance(verb, Mapping):
        content["verb"] = {key: value for key, value in verb.items() if key != "display"}
    target = content.get("object")
    if isinstance(target, Mapping) and target.get("objectType", "Activity") == "Activity":
        content["object"] = {k: v for k, v in target.items() if k not in ("definition", "objectType")}
    actor = content.get("actor")
    if isinstance(actor, Mapping) and actor.get("objectType") == "Agent":
        content["actor"] = {key: value for key, value in actor.items() if key != "objectType"}
    stamp = content.get("timestamp")
    if isinstance(stamp, str):
        # A timestamp that does not parse is compared as given; such a statement is never stored.
        with contextlib.suppress(ValueError):
            content["timestamp"] = parse_timestamp(stamp).isoformat()
    return content


def canonical_json(statement: Mapping[str, Any]) -> str:
    return json.dumps(comparable(statement), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(statement: Mapping[str, Any]) -> str:
    """sha256 of the canonical content; a stored statement's fingerprint is computed the same way."""
    return hashlib.sha256(canonical_json(statement).encode("utf-8")).hexdigest()


def derived_id(statement: Mapping[str, Any]) -> str:
    """The id of a statement sent without one: the same content always gets the same id."""
    return str(uuid.uuid5(STATEMENT_NAMESPACE, canonical_json(statement)))


def given_id(statement: Any) -> str | None:
    """The statement's own id in lower case when it is a well-formed UUID; None otherwise."""
    given = statement.get("id") if isinstance(statement, Mapping) else None
    return given.lower() if isinstance(given, str) and _UUID.match(given) else None


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        raise _Rejected(f"{field}: missing")
    if not isinstance(value, Mapping):
        raise _Rejected(f"{field}: not a JSON object")
    return value


def _text(value: Any, field: str) -> str:
    if value is None:
        raise _Rejected(f"{field}: missing")
    if not isinstance(value, str) or not value.strip():
        raise _Rejected(f"{field}: not a non-empty string")
    return value.strip()


def _iri(value: Any, field: str) -> str:
    text = _text(value, field)
    if not _IRI.match(text):
        raise _Rejected(f"{field}: {text!r} is not an absolute IRI")
    return text


def _number(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Rejected(f"{field}: not a number")
    return float(value)


def _flag(value: Any, field: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise _Rejected(f"{field}: not true or false")
    return value


def _statement_id(statement: Mapping[str, Any]) -> tuple[str, bool]:
    if statement.get("id") is None:
        return derived_id(statement), False
    given = given_id(statement)
    if given is None:
        raise _Rejected("id: not a UUID")
    return given, True


def _actor_key(statement: Mapping[str, Any]) -> str:
    """The actor's canonical key (service.events.actors): one Agent, named by an account, an
    address, its SHA-1 or an OpenID. Which employee it is, the identity mapping says afterwards."""
    actor = _object(statement.get("actor"), "actor")
    kind = actor.get("objectType", "Agent")
    if kind != "Agent":
        raise _Rejected(f"actor.objectType: {str(kind)[:40]!r}; Leerpad needs one employee (an Agent)")
    try:
        return actor_keys(actor)[0]
    except IdentityInputError as problem:
        raise _Rejected(problem.message) from None


def _verb(statement: Mapping[str, Any]) -> tuple[str, str]:
    iri = _text(_object(statement.get("verb"), "verb").get("id"), "verb.id")
    if iri in RESULT_VERB_IRIS:
        result = statement.get("result")
        success = result.get("success") if isinstance(result, Mapping) else None
        if not isinstance(success, bool):
            raise _Rejected(f"result.success: missing; {iri!r} is a test result only with result.success")
        return ("passed" if success else "failed"), iri
    if iri not in VERB_IRIS:
        raise _Rejected(f"verb.id: {iri!r} is not a verb Leerpad uses ({', '.join(VERBS)})")
    return VERB_IRIS[iri], iri


def _activity(statement: Mapping[str, Any]) -> str:
    target = _object(statement.get("object"), "object")
    kind = target.get("objectType", "Activity")
    if kind != "Activity":
        raise _Rejected(f"object.objectType: {kind!r}; Leerpad records learning on activities only")
    return _iri(target.get("id"), "object.id")


def _occurred_at(statement: Mapping[str, Any], now: datetime) -> datetime:
    stamp = statement.get("timestamp")
    if stamp is None:
        return now
    try:
        moment = parse_timestamp(stamp)
    except ValueError:
        raise _Rejected("timestamp: not an ISO 8601 date-time") from None
    if moment > now + MAX_CLOCK_SKEW:
        raise _Rejected(f"timestamp: {moment.isoformat()} is in the future")
    return moment


@dataclass(frozen=True)
class _Result:
    scaled: float | None = None
    raw: float | None = None
    success: bool | None = None
    completion: bool | None = None
    duration: float | None = None
    scored: bool = False


def _result(statement: Mapping[str, Any]) -> _Result:
    if statement.get("result") is None:
        return _Result()
    result = _object(statement["result"], "result")
    scaled = raw = None
    scored = result.get("score") is not None
    if scored:
        score = _object(result["score"], "result.score")
        scaled = _number(score.get("scaled"), "result.score.scaled")
        raw = _number(score.get("raw"), "result.score.raw")
        low = _number(score.get("min"), "result.score.min")
        high = _number(score.get("max"), "result.score.max")
        if scaled is not None and not -1.0 <= scaled <= 1.0:
            raise _Rejected("result.score.scaled: must lie in -1..1")
        if low is not None and high is not None and low >= high:
            raise _Rejected("result.score.max: must be greater than result.score.min")
        if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
            raise _Rejected("result.score.raw: must lie between result.score.min and result.score.max")
        scored = scaled is not None or raw is not None
    duration = None
    if result.get("duration") is not None:
        try:
            duration = parse_duration(result["duration"])
        except ValueError:
            raise _Rejected("result.duration: not an ISO 8601 duration") from None
    return _Result(
        scaled=scaled,
        raw=raw,
        success=_flag(result.get("success"), "result.success"),
        completion=_flag(result.get("completion"), "result.completion"),
        duration=duration,
        scored=scored,
    )


def parse_statement(statement: Any, now: datetime) -> ParsedStatement | str:
    """The statement's parts, or the first reason to reject it (naming the field).

    `now` (aware) stands in for a missing timestamp and bounds a future one."""
    if not isinstance(statement, Mapping):
        return "statement: not a JSON object"
    shape = json_shape_problem(statement, MAX_STATEMENT_DEPTH, MAX_STATEMENT_VALUES)
    if shape:  # it is stored as received and sent back in exports: it must serialise again
        return f"statement: {shape}"
    try:
        statement_id, given = _statement_id(statement)
        actor_key = _actor_key(statement)
        verb, verb_iri = _verb(statement)
        activity_id = _activity(statement)
        occurred_at = _occurred_at(statement, now)
        result = _result(statement)
        if verb in SCORED_VERBS and not result.scored:
            raise _Rejected(f"result.score: missing; {verb} needs result.score (scaled or raw)")
    except _Rejected as rejected:
        return str(rejected)
    return ParsedStatement(
        statement_id=statement_id,
        id_given=given,
        actor_key=actor_key,
        actor=statement["actor"],
        verb=verb,
        verb_iri=verb_iri,
        activity_id=activity_id,
        occurred_at=occurred_at,
        score_scaled=result.scaled,
        score_raw=result.raw,
        success=result.success,
        completion=result.completion,
        duration_seconds=result.duration,
        fingerprint=fingerprint(statement),
    )

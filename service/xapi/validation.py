"""Whether a statement is valid xAPI 1.0.3 (Data, section 2.4), strictly: the LRS endpoint refuses
the whole request with 400 for the first thing wrong, naming the field, because an LMS bisects a
batch on 400 and should find the one statement at fault.

Pure (stdlib only). Strict the way the specification asks an LRS to be: no properties it does not
define (names are case-sensitive), no nulls, UUIDs where it says UUID, absolute IRIs, mbox as mailto:,
language maps keyed by RFC 5646 tags, extension keys that are IRIs, score ranges, context rules
(revision and platform only for an Activity object), SubStatement rules and version 1.0.x. Statement
text is hostile: everything is checked by type before it is read, and the size and depth limits of
service.events.xapi hold before this runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from service.events.xapi import parse_duration
from service.http.errors import Unprocessable

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_VERSION = re.compile(r"^1\.0(\.\d+)?$")
# RFC 5646 language tags: language[-script][-region][-variant]*[-extension]*[-privateuse], or private use.
_LANGUAGE_TAG = re.compile(
    r"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z\d]{5,8}|\d[A-Za-z\d]{3}))*(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z\d]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z\d]{1,8})+)?|x(?:-[A-Za-z\d]{1,8})+|i-[A-Za-z]{2,8})$"
)
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE
)
_UNKNOWN_OFFSETS = {"-00", "-0000", "-00:00"}
# ISO 8601 weeks stand alone: P4W, never P4W1D.
_WEEKS_WITH_MORE = re.compile(r"W.", re.IGNORECASE)
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

_STATEMENT_KEYS = {
    "id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version",
    "attachments",
}  # fmt: skip
_SUBSTATEMENT_KEYS = {
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
}
_AGENT_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
_GROUP_KEYS = _AGENT_KEYS | {"member"}
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_ACTIVITY_KEYS = {"objectType", "id", "definition"}
_DEFINITION_KEYS = {
    "name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern",
    "choices", "scale", "source", "target", "steps",
}  # fmt: skip
_INTERACTION_TYPES = {
    "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert",
    "numeric", "other",
}  # fmt: skip
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
_SCORE_KEYS = {"scaled", "raw", "min", "max"}
_CONTEXT_KEYS = {
    "registration", "instructor", "team", "contextActivities", "revision", "platform", "language",
    "statement", "extensions",
}  # fmt: skip
_CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}
_ATTACHMENT_KEYS = {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}


class Invalid(Unprocessable):
    """The first thing wrong with a statement: the field's path and what is wrong with it. One of
    the error family: raised from a query parameter it reaches the one handler as it is (400 under
    /xapi/); a batch of statements prefixes it with the statement's place (service.xapi.store)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def _mapping(value: Any, path: str, allowed: set[str] | None = None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(path, "not a JSON object")
    for key, item in value.items():
        if allowed is not None and key not in allowed:
            raise Invalid(f"{path}.{key}", "not a property xAPI defines here")
        if item is None:
            raise Invalid(f"{path}.{key}", "null is not allowed")
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise Invalid(path, "not a string")
    return value


def iri(value: Any, path: str) -> str:
    text = _string(value, path)
    if not _IRI.match(text):
        raise Invalid(path, f"{text[:200]!r} is not an absolute IRI")
    return text


def uuid_text(value: Any, path: str) -> str:
    text = _string(value, path)
    if not UUID.match(text):
        raise Invalid(path, "not a UUID")
    return text.lower()


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(path, "not a number")
    return float(value)


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise Invalid(path, "not true or false")


def timestamp(value: Any, path: str) -> str:
    """An ISO 8601 date-time; the offset -00 (-00:00, -0000: "offset unknown") is refused, as RFC 3339
    and the specification ask."""
    text = _string(value, path)
    match = _TIMESTAMP.match(text)
    if match is None or match.group("offset") in _UNKNOWN_OFFSETS:
        raise Invalid(path, "not an ISO 8601 date-time")
    return text


def language_map(value: Any, path: str) -> None:
    for tag, text in _mapping(value, path).items():
        if not _LANGUAGE_TAG.match(tag):
            raise Invalid(f"{path}.{tag}", "not an RFC 5646 language tag")
        _string(text, f"{path}.{tag}")


def _extensions(value: Any, path: str) -> None:
    """Keys are IRIs; values are anything, null included (the one place xAPI allows null)."""
    if not isinstance(value, Mapping):
        raise Invalid(path, "not a JSON object")
    for key in value:
        iri(key, f"{path} key")


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(path, "not a JSON array")
    return value


def agent(value: Any, path: str) -> None:
    """An Agent: objectType optional, exactly one inverse functional identifier."""
    found = _mapping(value, path, _AGENT_KEYS)
    if found.get("objectType", "Agent") != "Agent":
        raise Invalid(f"{path}.objectType", "must be Agent")
    _identifiers(found, path, required=True)


def _identifiers(found: Mapping[str, Any], path: str, required: bool) -> None:
    present = [name for name in _IFIS if name in found]
    if len(present) > 1:
        raise Invalid(path, f"more than one identifier ({', '.join(present)})")
    if required and not present:
        raise Invalid(path, "no identifier (mbox, mbox_sha1sum, openid or account)")
    if "name" in found:
        _string(found["name"], f"{path}.name")
    if "mbox" in found and not _MAILTO.match(_string(found["mbox"], f"{path}.mbox")):
        raise Invalid(f"{path}.mbox", "not a mailto: IRI")
    if "mbox_sha1sum" in found and not _SHA1.match(_string(found["mbox_sha1sum"], f"{path}.mbox_sha1sum")):
        raise Invalid(f"{path}.mbox_sha1sum", "not a SHA1 in hex")
    if "openid" in found:
        iri(found["openid"], f"{path}.openid")
    if "account" in found:
        account = _mapping(found["account"], f"{path}.account", {"homePage", "name"})
        if "homePage" not in account or "name" not in account:
            raise Invalid(f"{path}.account", "needs homePage and name")
        iri(account["homePage"], f"{path}.account.homePage")
        _string(account["name"], f"{path}.account.name")


def group(value: Any, path: str) -> None:
    """A Group: identified (one identifier, members optional) or anonymous (members required)."""
    found = _mapping(value, path, _GROUP_KEYS)
    if found.get("objectType") != "Group":
        raise Invalid(f"{path}.objectType", "must be Group")
    _identifiers(found, path, required=False)
    identified = any(name in found for name in _IFIS)
    if "member" in found or not identified:
        members = _list(found.get("member"), f"{path}.member")
        if not identified and not members:
            raise Invalid(f"{path}.member", "an anonymous Group needs members")
        for index, member in enumerate(members):
            agent(member, f"{path}.member[{index}]")


def actor(value: Any, path: str) -> None:
    if isinstance(value, Mapping) and value.get("objectType") == "Group":
        group(value, path)
    else:
        agent(value, path)


def _verb(value: Any, path: str) -> str:
    found = _mapping(value, path, {"id", "display"})
    verb_id = iri(found.get("id"), f"{path}.id")
    if "display" in found:
        language_map(found["display"], f"{path}.display")
    return verb_id


def _interaction_components(found: Mapping[str, Any], path: str) -> None:
    for name in _COMPONENT_LISTS:
        if name not in found:
            continue
        seen: set[str] = set()
        for index, component in enumerate(_list(found[name], f"{path}.{name}")):
            where = f"{path}.{name}[{index}]"
            item = _mapping(component, where, {"id", "description"})
            component_id = _string(item.get("id"), f"{where}.id")
            if component_id in seen:
                raise Invalid(f"{where}.id", "the same id twice in one list")
            seen.add(component_id)
            if "description" in item:
                language_map(item["description"], f"{where}.description")


def _definition(value: Any, path: str) -> None:
    found = _mapping(value, path, _DEFINITION_KEYS)
    for name in ("name", "description"):
        if name in found:
            language_map(found[name], f"{path}.{name}")
    if "type" in found:
        iri(found["type"], f"{path}.type")
    if "moreInfo" in found:
        iri(found["moreInfo"], f"{path}.moreInfo")
    if "extensions" in found:
        _extensions(found["extensions"], f"{path}.extensions")
    if "interactionType" in found and _string(found["interactionType"], f"{path}.interactionType") not in (
        _INTERACTION_TYPES
    ):
        raise Invalid(f"{path}.interactionType", "not an interaction type xAPI defines")
    if "correctResponsesPattern" in found:
        for index, pattern in enumerate(
            _list(found["correctResponsesPattern"], f"{path}.correctResponsesPattern")
        ):
            _string(pattern, f"{path}.correctResponsesPattern[{index}]")
    interaction_parts = ("correctResponsesPattern", *_COMPONENT_LISTS)
    if any(name in found for name in interaction_parts) and "interactionType" not in found:
        raise Invalid(f"{path}.interactionType", "missing, though interaction components are given")
    _interaction_components(found, path)


def activity(value: Any, path: str) -> None:
    found = _mapping(value, path, _ACTIVITY_KEYS)
    if found.get("objectType", "Activity") != "Activity":
        raise Invalid(f"{path}.objectType", "must be Activity")
    iri(found.get("id"), f"{path}.id")
    if "definition" in found:
        _definition(found["definition"], f"{path}.definition")


def statement_ref(value: Any, path: str) -> str:
    found = _mapping(value, path, {"objectType", "id"})
    if found.get("objectType") != "StatementRef":
        raise Invalid(f"{path}.objectType", "must be StatementRef")
    return uuid_text(found.get("id"), f"{path}.id")


def _object(value: Any, path: str, inside_substatement: bool) -> str:
    """Checks the statement's object; returns its objectType."""
    kind = _string(_mapping(value, path).get("objectType", "Activity"), f"{path}.objectType")
    checks: dict[str, Callable[[Any, str], Any]] = {
        "Activity": activity,
        "Agent": agent,
        "Group": group,
        "StatementRef": statement_ref,
    }
    if kind == "SubStatement":
        if inside_substatement:
            raise Invalid(f"{path}.objectType", "a SubStatement may not hold another SubStatement")
        _substatement(value, path)
    elif kind in checks:
        checks[kind](value, path)
    else:
        raise Invalid(f"{path}.objectType", f"{str(kind)[:50]!r} is not an object type xAPI defines")
    return str(kind)


def _score(value: Any, path: str) -> None:
    found = _mapping(value, path, _SCORE_KEYS)
    numbers = {name: _number(found[name], f"{path}.{name}") for name in _SCORE_KEYS if name in found}
    if "scaled" in numbers and not -1.0 <= numbers["scaled"] <= 1.0:
        raise Invalid(f"{path}.scaled", "must lie in -1..1")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    # max equal to min is let through: Open edX grades an ungraded subsection as 0 of 0
    if low is not None and high is not None and low > high:
        raise Invalid(f"{path}.max", "must not be less than min")
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        raise Invalid(f"{path}.raw", "must lie between min and max")


def _result(value: Any, path: str) -> None:
    found = _mapping(value, path, _RESULT_KEYS)
    if "score" in found:
        _score(found["score"], f"{path}.score")
    for name in ("success", "completion"):
        if name in found:
            _boolean(found[name], f"{path}.{name}")
    if "response" in found:
        _string(found["response"], f"{path}.response")
    if "duration" in found:
        duration = _string(found["duration"], f"{path}.duration")
        try:
            parse_duration(duration)
        except ValueError:
            raise Invalid(f"{path}.duration", "not an ISO 8601 duration") from None
        if _WEEKS_WITH_MORE.search(duration.strip()):
            raise Invalid(
                f"{path}.duration", "weeks are not combined with other units in ISO 8601 (P4W, not P4W1D)"
            )
    if "extensions" in found:
        _extensions(found["extensions"], f"{path}.extensions")


def _context_activities(value: Any, path: str) -> None:
    for name, activities in _mapping(value, path, _CONTEXT_ACTIVITY_KEYS).items():
        listed = activities if isinstance(activities, list) else [activities]
        for index, item in enumerate(listed):
            activity(item, f"{path}.{name}[{index}]" if isinstance(activities, list) else f"{path}.{name}")


def _context(value: Any, path: str, object_type: str) -> None:
    found = _mapping(value, path, _CONTEXT_KEYS)
    if "registration" in found:
        uuid_text(found["registration"], f"{path}.registration")
    if "instructor" in found:
        actor(found["instructor"], f"{path}.instructor")
    if "team" in found:
        group(found["team"], f"{path}.team")
    if "contextActivities" in found:
        _context_activities(found["contextActivities"], f"{path}.contextActivities")
    for name in ("revision", "platform"):
        if name in found:
            _string(found[name], f"{path}.{name}")
            if object_type != "Activity":
                raise Invalid(f"{path}.{name}", "only for a statement whose object is an Activity")
    if "language" in found and not _LANGUAGE_TAG.match(_string(found["language"], f"{path}.language")):
        raise Invalid(f"{path}.language", "not an RFC 5646 language tag")
    if "statement" in found:
        statement_ref(found["statement"], f"{path}.statement")
    if "extensions" in found:
        _extensions(found["extensions"], f"{path}.extensions")


def _attachments(value: Any, path: str) -> None:
    for index, item in enumerate(_list(value, path)):
        where = f"{path}[{index}]"
        found = _mapping(item, where, _ATTACHMENT_KEYS)
        for name in ("usageType", "display", "contentType", "length", "sha2"):
            if name not in found:
                raise Invalid(f"{where}.{name}", "missing")
        iri(found["usageType"], f"{where}.usageType")
        language_map(found["display"], f"{where}.display")
        if "description" in found:
            language_map(found["description"], f"{where}.description")
        _string(found["contentType"], f"{where}.contentType")
        if isinstance(found["length"], bool) or not isinstance(found["length"], int):
            raise Invalid(f"{where}.length", "not an integer")
        _string(found["sha2"], f"{where}.sha2")
        if "fileUrl" not in found:
            raise Invalid(f"{where}.fileUrl", "missing: this LRS takes attachments by fileUrl only")
        iri(found["fileUrl"], f"{where}.fileUrl")


def _core(found: Mapping[str, Any], path: str, inside_substatement: bool) -> str:
    """What statements and SubStatements share; returns the verb id."""
    for name in ("actor", "verb", "object"):
        if name not in found:
            raise Invalid(f"{path}{name}", "missing")
    actor(found["actor"], f"{path}actor")
    verb_id = _verb(found["verb"], f"{path}verb")
    object_type = _object(found["object"], f"{path}object", inside_substatement)
    if "result" in found:
        _result(found["result"], f"{path}result")
    if "context" in found:
        _context(found["context"], f"{path}context", object_type)
    if "timestamp" in found:
        timestamp(found["timestamp"], f"{path}timestamp")
    if "attachments" in found:
        _attachments(found["attachments"], f"{path}attachments")
    if verb_id == VOIDED and object_type != "StatementRef":
        raise Invalid(f"{path}object", "a voiding statement's object must be a StatementRef")
    return verb_id


def _substatement(value: Any, path: str) -> None:
    found = _mapping(value, path, _SUBSTATEMENT_KEYS)
    _core(found, f"{path}.", inside_substatement=True)


def check_statement(statement: Any) -> None:
    """Raises Invalid naming the first field at fault; a valid statement passes silently."""
    found = _mapping(statement, "statement", _STATEMENT_KEYS)
    if "id" in found:
        uuid_text(found["id"], "id")
    _core(found, "", inside_substatement=False)
    if "stored" in found:
        timestamp(found["stored"], "stored")
    if "authority" in found:
        _authority(found["authority"])
    if "version" in found and not _VERSION.match(_string(found["version"], "version")):
        raise Invalid("version", "not an xAPI version 1.0.x")


def _authority(value: Any) -> None:
    """An Agent, or an anonymous Group of exactly two Agents (an OAuth consumer and its user)."""
    actor(value, "authority")
    if value.get("objectType") != "Group":
        return
    if any(name in value for name in _IFIS):
        raise Invalid("authority", "a Group authority must be anonymous (no identifier)")
    if len(value["member"]) != 2:
        raise Invalid("authority.member", "a Group authority has exactly two members")


def ifi(agent_or_group: Mapping[str, Any]) -> str:
    """An agent's (or identified group's) identifier as one string, for queries: 'mbox:mailto:a@b',
    'account:<homePage> <name>'; an anonymous group is its members' identifiers."""
    if "mbox" in agent_or_group:
        return f"mbox:{agent_or_group['mbox']}"
    if "mbox_sha1sum" in agent_or_group:
        return f"mbox_sha1sum:{str(agent_or_group['mbox_sha1sum']).lower()}"
    if "openid" in agent_or_group:
        return f"openid:{agent_or_group['openid']}"
    account = agent_or_group.get("account")
    if isinstance(account, Mapping):
        return f"account:{account.get('homePage')} {account.get('name')}"
    members = agent_or_group.get("member")
    return (
        "group:" + ",".join(sorted(ifi(m) for m in members if isinstance(m, Mapping)))
        if isinstance(members, list)
        else "anonymous"
    )

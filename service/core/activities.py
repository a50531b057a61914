"""Where an item or unit is, for everyone outside: its xAPI activity IRI (stable across re-ingests, the
id an LMS sends back in its statements) and its link. One scheme that catalog, events and paths share,
so it lives in core rather than in any one of them."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote

ACTIVITY_PREFIX = "urn:leerpad:activity"


@lru_cache(maxsize=16_384)
def activity_id(source: str, external_id: str, position: int | None = None) -> str:
    """The xAPI activity IRI of an item (or of one unit of it): stable across re-ingests. Memoised: the
    reports ask it again for every event of the same item."""
    from urllib.parse import quote

    base = f"{ACTIVITY_PREFIX}:{quote(source, safe='')}:{quote(external_id, safe='/')}"
    return base if position is None else f"{base}#unit-{position}"


def parse_activity_id(iri: str) -> tuple[str, str, int | None] | None:
    """(source, external id, unit position or None) of an IRI made by `activity_id`; None for any other."""
    prefix = f"{ACTIVITY_PREFIX}:"
    if not iri.startswith(prefix):
        return None
    rest, _, fragment = iri[len(prefix) :].partition("#")
    source, colon, external_id = rest.partition(":")
    unit = re.fullmatch(r"unit-(\d{1,9})", fragment) if fragment else None
    if not colon or not source or not external_id or (fragment and unit is None):
        return None
    return unquote(source), unquote(external_id), int(unit[1]) if unit else None


def unit_url(item_url: str | None, anchor: str | None) -> str | None:
    if item_url and anchor and "#" not in item_url:
        return f"{item_url}#{anchor}"
    return item_url

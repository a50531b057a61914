"""An xAPI actor as one canonical key: what names a person across the ways LMSs send them.

Pure (no database): the statement parser (service.events.xapi) checks actors with it, and the
identity mapping (service.events.identities) stores and looks up these keys. Forms:
"account|<homePage>|<name>" (the home page with its scheme and host in lower case, no trailing
slash), "mbox|mailto:<address>" (lower case), "mbox_sha1sum|<hex>" and "openid|<uri>". An address
also stands for the SHA-1 sums an LMS may send instead of it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from recommender.errors import LeerpadError

MAX_HOME_PAGE_CHARS = 500
MAX_NAME_CHARS = 200  # an employee key's length, and an account name's

_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_EMAIL = re.compile(r"^[^@\s:]+@[^@\s]+$")
IDENTIFIERS = ("account", "mbox", "mbox_sha1sum", "openid")


class IdentityInputError(LeerpadError):
    """An actor or mapping that cannot be used; the message names the field."""


def normal_home_page(value: Any, field_name: str = "account.homePage") -> str:
    """An LMS's home page as one text: http(s), scheme and host in lower case, no trailing slash,
    no query or fragment ("https://Moodle.example/" and "https://moodle.example" are one site)."""
    if not isinstance(value, str) or not value.strip():
        raise IdentityInputError(f"{field_name}: a URL is required")
    text = value.strip()
    if len(text) > MAX_HOME_PAGE_CHARS:
        raise IdentityInputError(f"{field_name}: longer than {MAX_HOME_PAGE_CHARS} characters")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise IdentityInputError(f"{field_name}: {text[:80]!r} is not an http(s) URL")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def _text(value: Any, field_name: str, limit: int = MAX_HOME_PAGE_CHARS) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IdentityInputError(f"{field_name}: a non-empty string is required")
    if len(value) > limit:
        raise IdentityInputError(f"{field_name}: longer than {limit} characters")
    return value.strip()


def _sha1_forms(mbox: str) -> list[str]:
    """The SHA-1 sums an LMS may send for this address: of the mailto IRI as given and lower-cased."""
    forms = dict.fromkeys((mbox, mbox.lower()))
    return [f"mbox_sha1sum|{hashlib.sha1(form.encode()).hexdigest()}" for form in forms]


def actor_keys(actor: Any) -> list[str]:
    """The actor's canonical key, then the other keys that name the same person (an address's SHA-1
    forms). Raises IdentityInputError naming the field when the actor is no single Agent."""
    if not isinstance(actor, Mapping):
        raise IdentityInputError("actor: an object is required")
    kind = actor.get("objectType", "Agent")
    if kind != "Agent":
        raise IdentityInputError(f"actor.objectType: {str(kind)[:40]!r}; only an Agent names one employee")
    given = [name for name in IDENTIFIERS if actor.get(name) is not None]
    if len(given) != 1:
        raise IdentityInputError(
            f"actor: exactly one of {', '.join(IDENTIFIERS)} is required, not {len(given)}"
        )
    (identifier,) = given
    value = actor[identifier]
    if identifier == "account":
        if not isinstance(value, Mapping):
            raise IdentityInputError("actor.account: an object with homePage and name is required")
        home_page = normal_home_page(value.get("homePage"), "actor.account.homePage")
        name = _text(value.get("name"), "actor.account.name", MAX_NAME_CHARS)
        return [f"account|{home_page}|{name}"]
    if identifier == "mbox":
        mbox = _text(value, "actor.mbox")
        if not mbox.lower().startswith("mailto:") or not _EMAIL.match(mbox[7:]):
            raise IdentityInputError(f"actor.mbox: {mbox[:80]!r} is not a mailto: address")
        return [f"mbox|{mbox.lower()}", *_sha1_forms(mbox)]
    if identifier == "mbox_sha1sum":
        digest = _text(value, "actor.mbox_sha1sum")
        if not _SHA1.match(digest):
            raise IdentityInputError("actor.mbox_sha1sum: 40 hexadecimal digits are required")
        return [f"mbox_sha1sum|{digest.lower()}"]
    uri = _text(value, "actor.openid")
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", uri):
        raise IdentityInputError(f"actor.openid: {uri[:80]!r} is not a URI")
    return [f"openid|{uri}"]


def actor_key(actor: Any) -> str | None:
    """The actor's canonical key, or None when it is no single Agent (for lookups that never fail)."""
    try:
        return actor_keys(actor)[0]
    except IdentityInputError:
        return None

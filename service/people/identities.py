"""Which employee an LMS's learning records name: an xAPI actor, mapped per tenant.

LMSs name people their own way. Moodle and Open edX send an account {homePage: the site, name: its
user id (Open edX: an anonymous id)}; other tools an email address (mbox) or its SHA-1
(mbox_sha1sum), or an OpenID. An actor names an employee of the tenant, in this order:

1. an explicit mapping (table actor_identities), from a CSV file (`leerpad identities import`) or
   `PUT /v1/identities`;
2. an account whose `name` is the employee id: of any home page while the tenant lists none (how
   `/v1/events` has always worked), and only of a listed home page once it lists some
   (`PUT /v1/identities/home-pages`), so a second LMS's user ids cannot collide with employee ids.

Otherwise the actor names no one yet; the LRS keeps such statements and applies them once a mapping
names the actor (the caller of `map_identities` gets the newly mapped actor keys for that).

Every actor is reduced to one canonical key (`actor_keys`); an email address is also kept as the
SHA-1 forms an LMS may send instead, so a mapping by address matches statements by mbox_sha1sum.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session

from ingest.files import EXTRA_FIELDS_KEY, read_csv_rows
from ingest.records import SourceError
from models import identities_repository as identities_repo
from models import people_repository as people
from models.tables import Employee
from recommender.errors import LeerpadError

MAX_IDENTITIES = 1000  # per API request
MAX_HOME_PAGES = 50
MAX_HOME_PAGE_CHARS = 500
MAX_NAME_CHARS = 200  # an employee key's length, and an account name's
CSV_IDENTITY_COLUMNS = ("account_home_page", "account_name", "mbox", "mbox_sha1sum", "openid")
CSV_COLUMNS = ("employee_id", *CSV_IDENTITY_COLUMNS)

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


class ActorResolver:
    """Finds the employees that a batch's actors name, with one query for the tenant's home pages
    and one per distinct actor: the LRS resolves a thousand statements of a few people with it."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self._home_pages: frozenset[str] | None = None
        self._found: dict[str, Employee | None] = {}

    @property
    def home_pages(self) -> frozenset[str]:
        if self._home_pages is None:
            self._home_pages = frozenset(identities_repo.home_pages(self.session, self.tenant_id))
        return self._home_pages

    def employee(self, actor: Any) -> Employee | None:
        """The employee the actor names, or None: no such mapping, or no single Agent."""
        key = actor_key(actor)
        if key is None:
            return None
        if key not in self._found:
            self._found[key] = self._lookup(key, actor)
        return self._found[key]

    def _lookup(self, key: str, actor: Mapping[str, Any]) -> Employee | None:
        mapped = identities_repo.employee_for_actor_key(self.session, self.tenant_id, key)
        if mapped is not None or not key.startswith("account|"):
            return mapped
        account = actor["account"]
        if self.home_pages and normal_home_page(account["homePage"]) not in self.home_pages:
            return None
        return people.get_employee(self.session, self.tenant_id, str(account["name"]).strip())


def employee_for_actor(session: Session, tenant_id: int, actor: Mapping[str, Any]) -> Employee | None:
    """The employee an xAPI actor names in this tenant, or None (see the module's docstring)."""
    return ActorResolver(session, tenant_id).employee(actor)


# --- mapping actors to employees --------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityInput:
    """One mapping to store: `where` names it in messages ("line 4", "[2]")."""

    employee_id: str
    actor: Mapping[str, Any]
    where: str


@dataclass
class MappingReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    mapped_keys: list[str] = field(default_factory=list)  # actor keys that now name someone new

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": self.problems,
        }


def map_identities(session: Session, tenant_id: int, entries: Sequence[IdentityInput]) -> MappingReport:
    """Store each mapping (a later one for the same actor moves it to the new employee); an entry
    that cannot be used is reported with its reason and the others are stored, in the caller's
    transaction."""
    report = MappingReport()
    resolved: list[tuple[IdentityInput, list[str], int]] = []
    employee_ids = people.employee_ids_by_key(session, tenant_id, {entry.employee_id for entry in entries})
    for entry in entries:
        try:
            keys = actor_keys(entry.actor)
        except IdentityInputError as exc:
            report.problems.append({"where": entry.where, "reason": exc.message})
            continue
        employee_id = employee_ids.get(entry.employee_id)
        if employee_id is None:
            reason = f"employee_id: no employee {entry.employee_id[:80]!r} in this company"
            report.problems.append({"where": entry.where, "reason": reason})
            continue
        resolved.append((entry, keys, employee_id))
    stored = identities_repo.identities_by_key(
        session, tenant_id, {k for _, keys, _ in resolved for k in keys}
    )
    for _, keys, employee_id in resolved:
        outcomes = [_store(session, tenant_id, stored, key, employee_id) for key in keys]
        primary = outcomes[0]
        report.created += primary == "created"
        report.updated += primary == "updated"
        report.unchanged += primary == "unchanged"
        report.mapped_keys += [
            key for key, outcome in zip(keys, outcomes, strict=True) if outcome != "unchanged"
        ]
    session.flush()
    return report


def _store(session: Session, tenant_id: int, stored: dict[str, Any], key: str, employee_id: int) -> str:
    row = stored.get(key)
    if row is None:
        identities_repo.add_identity(session, tenant_id, key, employee_id)
        stored[key] = _Placeholder(employee_id)
        return "created"
    if row.employee_id == employee_id:
        return "unchanged"
    row.employee_id = employee_id
    return "updated"


@dataclass
class _Placeholder:
    """A mapping added earlier in the same batch (so a repeat of it is unchanged or an update)."""

    employee_id: int


def set_home_pages(session: Session, tenant_id: int, pages: Sequence[str]) -> list[str]:
    """Replace the tenant's list of LMS home pages whose account names are employee ids."""
    if len(pages) > MAX_HOME_PAGES:
        raise IdentityInputError(f"home_pages: {len(pages)} given; at most {MAX_HOME_PAGES}")
    normal = sorted({normal_home_page(page, f"home_pages[{i}]") for i, page in enumerate(pages)})
    identities_repo.replace_home_pages(session, tenant_id, normal)
    return normal


# --- the CSV format ---------------------------------------------------------------------------------


def _csv_actor(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row's actor: an account (home page and name), an mbox (a bare address gets mailto:),
    an mbox_sha1sum or an openid."""
    actor: dict[str, Any] = {"objectType": "Agent"}
    if row.get("account_home_page") or row.get("account_name"):
        actor["account"] = {"homePage": row.get("account_home_page", ""), "name": row.get("account_name", "")}
    mbox = row.get("mbox", "")
    if mbox:
        actor["mbox"] = mbox if mbox.lower().startswith("mailto:") else f"mailto:{mbox}"
    for name in ("mbox_sha1sum", "openid"):
        if row.get(name):
            actor[name] = row[name]
    return actor


def read_identities_csv(path: Path) -> tuple[list[IdentityInput], list[dict[str, str]]]:
    """The mappings of a CSV file (columns CSV_COLUMNS: employee_id and one identity per row) and
    the rows it could not read, each with its line. Raises SourceError for a file that is no such CSV."""
    headers, rows = read_csv_rows(path)
    known = {h.casefold(): h for h in headers if h}
    unknown = sorted(set(known) - set(CSV_COLUMNS))
    if unknown:
        raise SourceError(
            path, f"line 1: unknown columns {unknown}; the columns are {', '.join(CSV_COLUMNS)}"
        )
    if "employee_id" not in known or not set(CSV_IDENTITY_COLUMNS) & set(known):
        raise SourceError(
            path, f"line 1: an employee_id column and one of {', '.join(CSV_IDENTITY_COLUMNS)} are required"
        )
    entries: list[IdentityInput] = []
    problems: list[dict[str, str]] = []
    for line, raw in rows:
        row = {name.casefold(): value for name, value in raw.items()}
        where = f"{path.name} line {line}"
        employee = row.get("employee_id", "")
        if EXTRA_FIELDS_KEY.casefold() in row:
            problems.append({"where": where, "reason": "more values than the header has columns"})
        elif not employee:
            problems.append({"where": where, "reason": "employee_id: empty"})
        elif len(employee) > MAX_NAME_CHARS:
            problems.append(
                {"where": where, "reason": f"employee_id: longer than {MAX_NAME_CHARS} characters"}
            )
        else:
            entries.append(IdentityInput(employee, _csv_actor(row), where))
    return entries, problems

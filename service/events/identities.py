"""Which employee an LMS's learning records name: an xAPI actor, mapped per tenant.

LMSs name people their own way. Moodle and Open edX send an account {homePage: the site, name: its
user id (Open edX: an anonymous id)}; other tools an email address (mbox) or its SHA-1
(mbox_sha1sum), or an OpenID. An actor names an employee of the tenant, in this order:

1. an explicit mapping (table actor_identities), from a CSV file (`leerpad identities import`) or
   `PUT /v1/identities`;
2. an account whose `name` is the employee id: of any home page while the tenant lists none (how
   `/v1/events` has always worked), and only of a listed home page once it lists some
   (`PUT /v1/identities/home-pages`), so a second LMS's user ids cannot collide with employee ids.

Otherwise the actor names no one yet: /v1/events rejects the statement with that reason, the LRS
keeps it and applies it once a mapping names the actor (service.xapi.store.apply_pending). Every way
a statement comes in goes through `ActorResolver`, so a new rule changes them all at once.

Every actor is reduced to one canonical key (service.events.actors); an email address is also kept
as the SHA-1 forms an LMS may send instead, so a mapping by address matches statements by mbox_sha1sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ingest.files import EXTRA_FIELDS_KEY, read_csv_rows
from ingest.records import SourceError
from models import identities_repository as identities_repo
from models import people_repository as people
from models.tables import Employee
from service.events.actors import (
    MAX_NAME_CHARS,
    IdentityInputError,
    actor_key,
    actor_keys,
    normal_home_page,
)

MAX_IDENTITIES = 1000  # per API request
MAX_HOME_PAGES = 50
CSV_IDENTITY_COLUMNS = ("account_home_page", "account_name", "mbox", "mbox_sha1sum", "openid")
CSV_COLUMNS = ("employee_id", *CSV_IDENTITY_COLUMNS)


class ActorResolver:
    """Finds the employees that a batch's actors name, with one query for the tenant's home pages
    and one per distinct actor: the LRS resolves a thousand statements of a few people with it."""

    def __init__(self, session: Session, tenant_id: int, listed_sites_only: bool = False) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.listed_sites_only = listed_sites_only
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

    def employee_ids(self, actors: Sequence[Mapping[str, Any]]) -> list[int | None]:
        """The employee (employees.id) each actor names, in order; None where it names no one yet."""
        found = [self.employee(actor) for actor in actors]
        return [employee.id if employee is not None else None for employee in found]

    def _lookup(self, key: str, actor: Mapping[str, Any]) -> Employee | None:
        mapped = identities_repo.employee_for_actor_key(self.session, self.tenant_id, key)
        if mapped is not None or not key.startswith("account|"):
            return mapped
        account = actor["account"]
        listed = self.home_pages
        if (listed or self.listed_sites_only) and normal_home_page(account["homePage"]) not in listed:
            return None
        return people.get_employee(self.session, self.tenant_id, str(account["name"]).strip())


def employee_for_actor(
    session: Session, tenant_id: int, actor: Mapping[str, Any], listed_sites_only: bool = False
) -> Employee | None:
    """The employee an xAPI actor names in this tenant, or None (see the module's docstring).

    `listed_sites_only`: an account name is an employee id only on a home page the tenant listed,
    also while it lists none. An LTI launch shows the person it names their own path: a platform's
    user id that happens to equal another employee's id must not open that employee's page."""
    return ActorResolver(session, tenant_id, listed_sites_only).employee(actor)


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

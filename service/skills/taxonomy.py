"""Taxonomy and role-file imports as the CLI and the demo run them: one transaction each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.files import BAD_CSV_KEY, read_csv_rows
from ingest.records import SourceError
from ingest.skills import TaxonomyReport, TenantTagger, embed_skills, store_taxonomy
from ingest.taxonomy import Taxonomy
from models import repositories as repo
from models.db import transaction
from recommender.errors import LeerpadError
from service.core.runtime import Runtime
from service.skills.roles import (
    RoleInputError,
    RoleSkillInput,
    find_occupation,
    occupation_skill_inputs,
    upsert_role,
)

MAX_ROLES_IN_FILE = 2000


class RoleFileError(LeerpadError):
    """A role file that cannot be read; names the file and line."""


@dataclass
class RoleDefinition:
    key: str
    name: str
    occupation: str | None = None
    language: str = "en"
    skills: list[RoleSkillInput] = field(default_factory=list)
    line: int = 0


def import_taxonomy(runtime: Runtime, tenant: str, taxonomy: Taxonomy, origin: str) -> TaxonomyReport:
    """Store skills and occupations, give new skills vectors, and re-tag the catalog when skills changed."""
    report = TaxonomyReport(problems=[p.__dict__ for p in taxonomy.problems])
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        changed = store_taxonomy(session, row.id, taxonomy, origin, report)
        report.embedded = embed_skills(session, row.id, runtime.encoder, runtime.settings.model)
        if changed:
            report.items_tagged = TenantTagger(session, row.id, model=runtime.settings.model).tag()
    return report


def retag_catalog(runtime: Runtime, tenant: str) -> dict[str, int]:
    """Recompute every automatic tag of the tenant's active items (skills without a vector get one
    first); tags an L&D reviewer confirmed or removed stay as they were. Runs as the `retag` job."""
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        embedded = embed_skills(session, row.id, runtime.encoder, runtime.settings.model)
        tagged = TenantTagger(session, row.id, model=runtime.settings.model).tag()
    return {"skills_embedded": embedded, "items_tagged": tagged}


def _level(value: Any, where: str) -> int:
    try:
        level = int(str(value).strip())
    except ValueError as exc:
        raise RoleFileError(f"{where}: level {value!r} is not a whole number from 0 to 5") from exc
    if not 0 <= level <= 5:
        raise RoleFileError(f"{where}: level {level} is outside 0..5")
    return level


def read_role_file(path: Path) -> list[RoleDefinition]:
    """Roles from CSV (role_id,name,skill,level,importance[,occupation]) or YAML ({roles: [...]})."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return _read_role_yaml(path)
    if path.suffix.lower() == ".csv":
        return _read_role_csv(path)
    raise RoleFileError(f"{path}: a role file is .csv, .yaml or .yml")


def _read_role_csv(path: Path) -> list[RoleDefinition]:
    try:
        headers, rows = read_csv_rows(path)
    except SourceError as exc:
        raise RoleFileError(str(exc)) from exc
    missing = [h for h in ("role_id", "name", "skill", "level") if h not in headers]
    if missing:
        raise RoleFileError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(headers)}")
    roles: dict[str, RoleDefinition] = {}
    for line, row in rows:
        where = f"{path} line {line}"
        if BAD_CSV_KEY in row:
            raise RoleFileError(f"{where}: bad CSV: {row[BAD_CSV_KEY]}")
        key, skill = row.get("role_id", "").strip(), row.get("skill", "").strip()
        if not key or not skill:
            raise RoleFileError(f"{where}: role_id and skill are required")
        role = roles.setdefault(
            key,
            RoleDefinition(
                key,
                row.get("name", "").strip() or key,
                row.get("occupation", "").strip() or None,
                row.get("language", "").strip() or "en",
                line=line,
            ),
        )
        role.skills.append(
            RoleSkillInput(skill, _level(row.get("level"), where), row.get("importance", "").strip() or 1.0)
        )
        if len(roles) > MAX_ROLES_IN_FILE:
            raise RoleFileError(f"{path}: more than {MAX_ROLES_IN_FILE} roles")
    return list(roles.values())


def _read_role_yaml(path: Path) -> list[RoleDefinition]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RoleFileError(f"{path}: not readable YAML ({exc})") from exc
    entries = data.get("roles") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RoleFileError(f"{path}: expected a mapping with a 'roles' list")
    if len(entries) > MAX_ROLES_IN_FILE:
        raise RoleFileError(f"{path}: more than {MAX_ROLES_IN_FILE} roles")
    roles = []
    for index, entry in enumerate(entries):
        where = f"{path} roles[{index}]"
        if not isinstance(entry, dict) or not entry.get("id"):
            raise RoleFileError(f"{where}: each role needs an id")
        skills = []
        for s_index, skill in enumerate(entry.get("skills") or []):
            if not isinstance(skill, dict) or not str(skill.get("skill", "")).strip():
                raise RoleFileError(f"{where}.skills[{s_index}]: needs a skill")
            skills.append(
                RoleSkillInput(
                    str(skill["skill"]),
                    _level(skill.get("level"), f"{where}.skills[{s_index}]"),
                    skill.get("importance", 1.0),
                )
            )
        roles.append(
            RoleDefinition(
                str(entry["id"]),
                str(entry.get("name") or entry["id"]),
                entry.get("occupation"),
                str(entry.get("language") or "en"),
                skills,
                index + 1,
            )
        )
    return roles


def import_roles(runtime: Runtime, tenant: str, definitions: list[RoleDefinition]) -> list[str]:
    """Store every role of the file in one transaction (all or nothing); returns a line per role."""
    lines = []
    with transaction(runtime.sessions) as session:
        tenant_row = repo.get_or_create_tenant(session, tenant)
        for definition in definitions:
            inputs = list(definition.skills)
            occupation = None
            if definition.occupation:
                occupation = find_occupation(session, tenant_row.id, definition.occupation)
                if occupation is None:
                    raise RoleInputError(
                        f"role {definition.key!r}: no occupation matches {definition.occupation!r}"
                    )
                named = {s.skill for s in inputs}
                inputs = [
                    i for i in occupation_skill_inputs(session, occupation) if i.skill not in named
                ] + inputs
            try:
                role, resolutions, _ = upsert_role(
                    session,
                    tenant_row.id,
                    definition.key,
                    definition.name,
                    inputs,
                    runtime.encoder,
                    runtime.settings.model,
                    definition.language,
                    occupation,
                )
            except RoleInputError as exc:
                raise RoleInputError(f"role {definition.key!r}: {exc}") from exc
            created = sum(1 for r in resolutions if r.resolved_by == "created")
            lines.append(f"role {role.key}: {len(role.skills)} skills ({created} new custom skills)")
        embed_skills(session, tenant_row.id, runtime.encoder, runtime.settings.model)
    return lines

"""Where data about an employee lives: the registry behind the rights of access and erasure.

`PERSONAL_DATA` names every table that holds data about one employee, with the columns that tie a
row to them, what `DELETE /v1/employees/{employee_id}` does to those rows (and why), an export
function (rows -> JSON-able dicts) and an erase function. `NO_PERSONAL_DATA` names every other
table with the reason it holds none. tests/models/test_personal_data_registry.py walks
`Base.metadata` and fails when a table is in neither (a new table must be classified before it
ships), when a table with an employee reference (a column named like `employee_id` or `subject`,
or a foreign key to `employees`) is not in `PERSONAL_DATA`, and when a registered table grows an
employee column its entry does not name.

The erase functions run in the order of `PERSONAL_DATA` (rows that point at others first, the
`employees` row last) inside the caller's transaction; they only flush. How the data is found,
exported and erased is explained for people in docs/privacy-rights.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, MetaData, Table, Text, cast, delete, func, or_, select, text
from sqlalchemy.orm import Session

from models import badges_repository
from models.tables import (
    ActorIdentity,
    ApiKey,
    Assessment,
    AssessmentContest,
    AuditEntry,
    Badge,
    BadgeConsent,
    Base,
    ChallengeParticipant,
    Employee,
    LearningEvent,
    LearningPath,
    Nudge,
    NudgePreference,
    PulseAnswer,
    ReceivedBadge,
    Role,
    Skill,
    XapiStatement,
)

ERASED_PREFIX = "erased:"  # what replaces an erased employee's key where a row must stay

DELETE = "delete"  # the rows go
PSEUDONYMISE = "pseudonymise"  # the rows stay (they are someone else's too); the key is replaced
KEEP_PSEUDONYMOUS = "keep"  # the rows never held the key, only a keyed pseudonym; they stay
ERASURES = (DELETE, PSEUDONYMISE, KEEP_PSEUDONYMOUS)


@dataclass(frozen=True)
class DataSubject:
    """The employee whose data is exported or erased, in every form a table may hold them."""

    tenant_id: int
    employee_id: int  # employees.id, what the foreign keys hold
    key: str  # employees.key, the employee id callers use (api_keys and statements hold it as text)
    pseudonym: str  # the audit log's keyed pseudonym of the key (service.trust.audit.pseudonym)

    @property
    def erased_marker(self) -> str:
        """What an erased key is replaced with: the pseudonym, so rows about the same person still
        group together (no one can turn it back into the key without the key and the secret)."""
        return ERASED_PREFIX + self.pseudonym


@dataclass(frozen=True)
class Erased:
    """What an erase function did to one table."""

    deleted: int = 0
    pseudonymised: int = 0
    kept: int = 0


@dataclass(frozen=True)
class PersonalDataTable:
    table: str
    columns: tuple[str, ...]  # the columns that tie a row to the employee (found_by)
    erasure: str  # DELETE, PSEUDONYMISE or KEEP_PSEUDONYMOUS
    why: str  # what DELETE /v1/employees/{employee_id} does to the rows, and why
    export: Callable[[Session, DataSubject], list[dict[str, Any]]]
    erase: Callable[[Session, DataSubject], Erased]


# --- rows as JSON ---------------------------------------------------------------------------------

ALWAYS_OMITTED = frozenset({"tenant_id"})  # internal; the caller knows its tenant


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_dict(row: Any, omit: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
    """A table row's columns as stored (dates as ISO 8601 text), without `omit` and binary columns."""
    left_out = ALWAYS_OMITTED | set(omit)
    values = {
        column.key: _jsonable(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in left_out and not isinstance(getattr(row, column.key), bytes | memoryview)
    }
    return {**values, **extra}


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


# --- employees ------------------------------------------------------------------------------------


def _employee_where(subject: DataSubject) -> tuple[ColumnElement[bool], ...]:
    return (Employee.tenant_id == subject.tenant_id, Employee.id == subject.employee_id)


def _export_employee(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    employee = session.scalar(select(Employee).where(*_employee_where(subject)))
    if employee is None:
        return []
    role_ids = [r for r in (employee.role_id, employee.target_role_id) if r is not None]
    keys: dict[int, str] = {
        int(r[0]): r[1] for r in session.execute(select(Role.id, Role.key).where(Role.id.in_(role_ids)))
    }
    return [
        row_dict(
            employee,
            role=keys.get(employee.role_id) if employee.role_id else None,
            target_role=keys.get(employee.target_role_id) if employee.target_role_id else None,
        )
    ]


def _erase_employee(session: Session, subject: DataSubject) -> Erased:
    return Erased(deleted=_count(session.execute(delete(Employee).where(*_employee_where(subject)))))


# --- assessments and contests ---------------------------------------------------------------------


def _export_assessments(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Assessment, Skill.key, Skill.label_en, Skill.label_nl)
        .join(Skill, Skill.id == Assessment.skill_id)
        .where(Assessment.tenant_id == subject.tenant_id, Assessment.employee_id == subject.employee_id)
        .order_by(Assessment.observed_at, Assessment.id)
    ).all()
    return [
        row_dict(assessment, skill_key=key, skill_label=label_en or label_nl or key)
        for assessment, key, label_en, label_nl in rows
    ]


def _erase_assessments(session: Session, subject: DataSubject) -> Erased:
    result = session.execute(
        delete(Assessment).where(
            Assessment.tenant_id == subject.tenant_id, Assessment.employee_id == subject.employee_id
        )
    )
    return Erased(deleted=_count(result))


def _export_contests(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AssessmentContest)
        .where(
            AssessmentContest.tenant_id == subject.tenant_id,
            AssessmentContest.employee_id == subject.employee_id,
        )
        .order_by(AssessmentContest.created_at, AssessmentContest.id)
    ).all()
    return [row_dict(row) for row in rows]


def _erase_contests(session: Session, subject: DataSubject) -> Erased:
    result = session.execute(
        delete(AssessmentContest).where(
            AssessmentContest.tenant_id == subject.tenant_id,
            AssessmentContest.employee_id == subject.employee_id,
        )
    )
    return Erased(deleted=_count(result))


# --- team challenges ------------------------------------------------------------------------------


def _participants_where(subject: DataSubject) -> tuple[ColumnElement[bool], ...]:
    return (
        ChallengeParticipant.tenant_id == subject.tenant_id,
        ChallengeParticipant.employee_id == subject.employee_id,
    )


def _export_participations(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ChallengeParticipant)
        .where(*_participants_where(subject))
        .order_by(ChallengeParticipant.joined_at, ChallengeParticipant.id)
    ).all()
    return [row_dict(row) for row in rows]


def _erase_participations(session: Session, subject: DataSubject) -> Erased:
    result = session.execute(delete(ChallengeParticipant).where(*_participants_where(subject)))
    return Erased(deleted=_count(result))


# --- learning events ------------------------------------------------------------------------------


def _export_events(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(LearningEvent)
        .where(LearningEvent.tenant_id == subject.tenant_id, LearningEvent.employee_id == subject.employee_id)
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
    ).all()
    return [row_dict(row) for row in rows]


def replace_exact(value: Any, old: str, new: str) -> tuple[Any, int]:
    """`value` (JSON) with every string equal to `old` replaced by `new`, and how many were; a string
    that merely contains `old` is left alone ("e-1" is not "e-12")."""
    if isinstance(value, str):
        return (new, 1) if value == old else (value, 0)
    if isinstance(value, list):
        pairs = [replace_exact(v, old, new) for v in value]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    if isinstance(value, dict):
        replaced: dict[str, Any] = {}
        count = 0
        for name, item in value.items():
            replaced[name], n = replace_exact(item, old, new)
            count += n
        return replaced, count
    return value, 0


def _export_statements(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(XapiStatement)
        .where(XapiStatement.tenant_id == subject.tenant_id, XapiStatement.employee_id == subject.employee_id)
        .order_by(XapiStatement.stored_at, XapiStatement.id)
    ).all()
    return [row_dict(row) for row in rows]


def _erase_statements(session: Session, subject: DataSubject) -> Erased:
    """As for learning events; the identifier columns the queries read are pseudonymised with the
    statement (until the identity mapping, the key is the account name an actor is found by)."""

    def identifiers(row: LearningEvent | XapiStatement) -> None:
        if isinstance(row, XapiStatement):
            row.agents = row.agents.replace(subject.key, subject.erased_marker)
            row.actor_ifi = row.actor_ifi.replace(subject.key, subject.erased_marker)

    return _erase_statement_rows(session, subject, XapiStatement, identifiers)


def _erase_events(session: Session, subject: DataSubject) -> Erased:
    """The employee's own statements go; colleagues' statements that name them (as an instructor or
    a team member in `context`, say) stay, with the key replaced by the erased marker."""
    return _erase_statement_rows(session, subject, LearningEvent, lambda row: None)


def cast_rows(rows: Sequence[Any]) -> Sequence[LearningEvent | XapiStatement]:
    """select(model) over a union of two models types its rows as Base; they are the model's."""
    return rows


def _erase_statement_rows(
    session: Session,
    subject: DataSubject,
    model: type[LearningEvent] | type[XapiStatement],
    also: Callable[[LearningEvent | XapiStatement], None],
) -> Erased:
    """Rows holding an xAPI statement: the employee's own go, those that name their key are kept with
    the key replaced (`also` pseudonymises the row's other columns)."""
    deleted = _count(
        session.execute(
            delete(model).where(
                model.tenant_id == subject.tenant_id, model.employee_id == subject.employee_id
            )
        )
    )
    mentions = session.scalars(
        select(model).where(
            model.tenant_id == subject.tenant_id,
            or_(model.employee_id.is_(None), model.employee_id != subject.employee_id),
            cast(model.statement, Text).contains(subject.key, autoescape=True),
        )
    ).all()
    pseudonymised = 0
    for row in cast_rows(mentions):
        statement, count = replace_exact(row.statement, subject.key, subject.erased_marker)
        if count:
            row.statement = statement  # a new object, so the JSON column is written
            also(row)
            pseudonymised += 1
    session.flush()
    return Erased(deleted=deleted, pseudonymised=pseudonymised)


# --- learning paths -------------------------------------------------------------------------------


def _paths_where(subject: DataSubject) -> tuple[ColumnElement[bool], ...]:
    return (LearningPath.tenant_id == subject.tenant_id, LearningPath.employee_id == subject.employee_id)


def _export_paths(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(LearningPath).where(*_paths_where(subject)).order_by(LearningPath.created_at, LearningPath.id)
    ).all()
    return [row_dict(row) for row in rows]


def _erase_paths(session: Session, subject: DataSubject) -> Erased:
    return Erased(deleted=_count(session.execute(delete(LearningPath).where(*_paths_where(subject)))))


# --- API keys -------------------------------------------------------------------------------------


def _keys_where(subject: DataSubject) -> tuple[ColumnElement[bool], ...]:
    return (ApiKey.tenant_id == subject.tenant_id, ApiKey.employee_id == subject.key)


def _export_keys(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(select(ApiKey).where(*_keys_where(subject)).order_by(ApiKey.id)).all()
    return [row_dict(row, omit=("key_hash",)) for row in rows]  # metadata only, never the secret's hash


def _erase_keys(session: Session, subject: DataSubject) -> Erased:
    return Erased(deleted=_count(session.execute(delete(ApiKey).where(*_keys_where(subject)))))


# --- actor identities -----------------------------------------------------------------------------


def _identities_where(subject: DataSubject) -> tuple[ColumnElement[bool], ...]:
    return (ActorIdentity.tenant_id == subject.tenant_id, ActorIdentity.employee_id == subject.employee_id)


def _export_identities(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ActorIdentity).where(*_identities_where(subject)).order_by(ActorIdentity.id)
    ).all()
    return [row_dict(row) for row in rows]


def _erase_identities(session: Session, subject: DataSubject) -> Erased:
    return Erased(deleted=_count(session.execute(delete(ActorIdentity).where(*_identities_where(subject)))))


# --- Open Badges -----------------------------------------------------------------------------------


def _export_badge_table(
    model: type[Badge] | type[BadgeConsent] | type[ReceivedBadge],
) -> Callable[[Session, DataSubject], list[dict[str, Any]]]:
    def export(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
        rows = session.scalars(
            select(model)
            .where(model.tenant_id == subject.tenant_id, model.employee_id == subject.employee_id)
            .order_by(model.id)
        ).all()
        return [row_dict(row) for row in rows]

    return export


def _erase_badge_table(
    model: type[BadgeConsent] | type[ReceivedBadge],
) -> Callable[[Session, DataSubject], Erased]:
    def erase(session: Session, subject: DataSubject) -> Erased:
        where = (model.tenant_id == subject.tenant_id, model.employee_id == subject.employee_id)
        return Erased(deleted=_count(session.execute(delete(model).where(*where))))

    return erase


def _erase_badges(session: Session, subject: DataSubject) -> Erased:
    """Every badge issued to the employee is revoked in the tenant's status list (a copy they kept no
    longer verifies as valid), then its row, which held the credential, is deleted."""
    where = (Badge.tenant_id == subject.tenant_id, Badge.employee_id == subject.employee_id)
    indexes = list(session.scalars(select(Badge.status_index).where(*where)))
    badges_repository.set_status_bits(session, subject.tenant_id, indexes)
    return Erased(deleted=_count(session.execute(delete(Badge).where(*where))))


# --- audit log ------------------------------------------------------------------------------------


def _audit_where(subject: DataSubject) -> tuple[ColumnElement[bool], ...]:
    return (AuditEntry.tenant_id == subject.tenant_id, AuditEntry.subject == subject.pseudonym)


def _export_audit(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    rows = session.scalars(select(AuditEntry).where(*_audit_where(subject)).order_by(AuditEntry.id)).all()
    return [row_dict(row) for row in rows]


def _erase_audit(session: Session, subject: DataSubject) -> Erased:
    kept = session.scalar(select(func.count()).select_from(AuditEntry).where(*_audit_where(subject)))
    return Erased(kept=int(kept or 0))


# --- nudges in Slack and Teams --------------------------------------------------------------------


def _own_rows(
    model: type[NudgePreference] | type[Nudge] | type[PulseAnswer],
) -> tuple[Callable[[Session, DataSubject], list[dict[str, Any]]], Callable[[Session, DataSubject], Erased]]:
    """Export and erase for a table whose rows are one employee's own (`employee_id`)."""

    def export(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
        rows = session.scalars(
            select(model)
            .where(model.tenant_id == subject.tenant_id, model.employee_id == subject.employee_id)
            .order_by(model.id)
        ).all()
        return [row_dict(row) for row in rows]

    def erase(session: Session, subject: DataSubject) -> Erased:
        result = session.execute(
            delete(model).where(
                model.tenant_id == subject.tenant_id, model.employee_id == subject.employee_id
            )
        )
        return Erased(deleted=_count(result))

    return export, erase


_export_nudge_preferences, _erase_nudge_preferences = _own_rows(NudgePreference)
_export_nudges, _erase_nudges = _own_rows(Nudge)
_export_pulse, _erase_pulse = _own_rows(PulseAnswer)


# --- what the storage keeps of deleted rows ------------------------------------------------------


def overwrite_deleted_content(session: Session) -> None:
    """SQLite leaves a deleted row's bytes in the page's free space (and in freed pages) until they
    are reused; with `secure_delete` on, this connection overwrites them with zeros instead. Run it
    before the erase functions, in the same transaction. (PostgreSQL: see checkpoint_after_erasure.)"""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def checkpoint_after_erasure(engine: Engine) -> bool:
    """After the erasure has committed: SQLite's write-ahead log still holds the pages as they were
    before (the erased rows among them) until a checkpoint copies the log into the database and
    truncates it. False when a reader kept the checkpoint from finishing (the next automatic one
    will). PostgreSQL needs nothing here: its dead rows are unreachable through SQL and are
    reclaimed by autovacuum; its WAL segments and backups age out with their retention."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        busy, _, _ = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    return not busy


# --- the registry ---------------------------------------------------------------------------------

_REGISTERED = (
    PersonalDataTable(
        "assessment_contests",
        ("employee_id",),
        DELETE,
        "deleted: an objection to an assessment that is itself erased",
        _export_contests,
        _erase_contests,
    ),
    PersonalDataTable(
        "challenge_participants",
        ("employee_id",),
        DELETE,
        "deleted: which team challenges the employee joined; the team totals are recomputed without "
        "their learning",
        _export_participations,
        _erase_participations,
    ),
    PersonalDataTable(
        "assessments",
        ("employee_id",),
        DELETE,
        "deleted: evidence of one person's levels; the team reports are recomputed from what is left",
        _export_assessments,
        _erase_assessments,
    ),
    PersonalDataTable(
        "learning_events",
        ("employee_id", "statement"),
        DELETE,
        "the employee's statements are deleted (the KPIs of past periods are recomputed without them); "
        "a colleague's statement that names the employee stays, with the key replaced by "
        f"'{ERASED_PREFIX}<pseudonym>'",
        _export_events,
        _erase_events,
    ),
    PersonalDataTable(
        "xapi_statements",
        ("employee_id", "actor_ifi", "agents", "statement"),
        DELETE,
        "the statements the LRS endpoint stored with the employee as actor are deleted; others that name "
        f"the employee's key stay, with the key replaced by '{ERASED_PREFIX}<pseudonym>'",
        _export_statements,
        _erase_statements,
    ),
    PersonalDataTable(
        "learning_paths",
        ("employee_id",),
        DELETE,
        "deleted with their requests, answers and impressions (the next retraining learns without them)",
        _export_paths,
        _erase_paths,
    ),
    PersonalDataTable(
        "api_keys",
        ("employee_id",),
        DELETE,
        "the employee's own keys are deleted, so they stop working at once and no row keeps the key",
        _export_keys,
        _erase_keys,
    ),
    PersonalDataTable(
        "actor_identities",
        ("employee_id", "actor_key"),
        DELETE,
        "deleted: how the LMSs name the employee (account, address); statements that still arrive for "
        "them are kept unapplied, as for anyone the company has not mapped",
        _export_identities,
        _erase_identities,
    ),
    PersonalDataTable(
        "badges",
        ("employee_id",),
        DELETE,
        "revoked in the tenant's badge status list (a copy the employee kept shows revoked), then deleted "
        "with the signed credentials",
        _export_badge_table(Badge),
        _erase_badges,
    ),
    PersonalDataTable(
        "received_badges",
        ("employee_id",),
        DELETE,
        "deleted: badges from elsewhere the employee uploaded (the evidence they gave goes with the "
        "assessments)",
        _export_badge_table(ReceivedBadge),
        _erase_badge_table(ReceivedBadge),
    ),
    PersonalDataTable(
        "badge_consents",
        ("employee_id",),
        DELETE,
        "deleted: the employee's yes to having badges issued",
        _export_badge_table(BadgeConsent),
        _erase_badge_table(BadgeConsent),
    ),
    PersonalDataTable(
        "audit_log",
        ("subject",),
        KEEP_PSEUDONYMOUS,
        "kept: it names the employee only by a keyed pseudonym, never the key, and is the record of "
        "who read or changed their data (the erasure included); deleted by the retention purge",
        _export_audit,
        _erase_audit,
    ),
    PersonalDataTable(
        "nudge_preferences",
        ("employee_id", "address"),
        DELETE,
        "deleted: the employee's own nudge settings (opt-in, channel, Slack or Teams id, schedule)",
        _export_nudge_preferences,
        _erase_nudge_preferences,
    ),
    PersonalDataTable(
        "nudges",
        ("employee_id", "address"),
        DELETE,
        "deleted: the nudges sent to the employee and their answers (the KPIs are recomputed without them)",
        _export_nudges,
        _erase_nudges,
    ),
    PersonalDataTable(
        "pulse_answers",
        ("employee_id",),
        DELETE,
        "deleted: the employee's answers to the learning pulse question",
        _export_pulse,
        _erase_pulse,
    ),
    PersonalDataTable(
        "employees",
        ("id", "key"),
        DELETE,
        "deleted last: role, team, language and preferences",
        _export_employee,
        _erase_employee,
    ),
)
PERSONAL_DATA: dict[str, PersonalDataTable] = {entry.table: entry for entry in _REGISTERED}

NO_PERSONAL_DATA: dict[str, str] = {
    "tenants": "the company: slug, name and settings, nothing about one employee",
    "catalog_items": "learning content from the catalogs",
    "micro_units": "pieces of catalog items with their vectors: the FAISS and BM25 indexes are built from these alone",
    "ingest_runs": "catalog import reports: file paths and catalog rows",
    "jobs": "payloads and results of ingest, retag, retrain and audit-purge jobs: files, options, "
    "catalog and model figures; no job kind takes an employee",
    "skills": "the skills taxonomy",
    "skill_labels": "labels of skills",
    "occupations": "ESCO occupations",
    "occupation_skills": "which skills an occupation needs",
    "item_skills": "which skills a catalog item teaches",
    "roles": "role profiles: what a role needs, not who has it",
    "role_skills": "the skills of a role profile",
    "ranking_models": "learned weights over ranking features, trained on many employees' feedback: "
    "aggregate, with counts and scores but no employee ids; kept on erasure, the next retraining "
    "learns without the erased events",
    "ld_figures": "costs, benefits and business results per team or company, entered by L&D",
    "account_home_pages": "LMS sites whose xAPI account names are employee ids: nothing about one employee",
    "dashboard_sessions": "dashboard logins: a hashed session id, its key and times; only ld and admin "
    "keys open one, never an employee key",
    "lti_platforms": "LMS registrations of a tenant: issuer, client id and the platform's URLs",
    "lti_deployments": "deployment ids of a registered LMS",
    "lti_nonces": "random nonces of LTI logins, used up by the launch or expired within minutes",
    "lti_launches": "deep-linking launches kept an hour for the picker's next request; the claims "
    "that name the user (sub, name, email, lis) are dropped before storing",
    "lti_tool_keys": "the tool's own signing key pair",
    "badge_issuers": "a tenant's badge switch, signing key and revocation bit list: bits name no one",
    "badge_trusted_issuers": "issuers of badges elsewhere and their public keys, registered by an admin",
    "learning_challenges": "team goals L&D sets (team, title, minutes, dates); who joined is in "
    "challenge_participants",
    "chat_integrations": "the company's Slack app or Teams connection: URLs and encrypted secrets",
    "chat_requests_seen": "hashes of signed Slack and Teams requests, kept 10 minutes to refuse replays",
}


# --- checks the registry test runs ---------------------------------------------------------------

EMPLOYEE_COLUMN = re.compile(r"employee|subject|learner|actor|person", re.IGNORECASE)


def employee_columns(table: Table) -> set[str]:
    """Columns that name an employee: by their name, or by a foreign key to `employees`."""
    return {
        column.name
        for column in table.columns
        if EMPLOYEE_COLUMN.search(column.name)
        or any(fk.column.table.name == "employees" for fk in column.foreign_keys)
    }


def registry_problems(
    metadata: MetaData = Base.metadata,
    personal: Mapping[str, PersonalDataTable] = PERSONAL_DATA,
    none: Mapping[str, str] = NO_PERSONAL_DATA,
) -> list[str]:
    """Everything wrong with the classification of `metadata`'s tables; empty when all is well."""
    problems: list[str] = []
    tables = metadata.tables
    for name in sorted(set(personal) & set(none)):
        problems.append(f"{name} is in both PERSONAL_DATA and NO_PERSONAL_DATA")
    for name in sorted((set(personal) | set(none)) - set(tables)):
        problems.append(f"{name} is classified in models/personal_data.py but is no table")
    for name, table in sorted(tables.items()):
        if name not in personal and name not in none:
            problems.append(
                f"{name} is a new table: add it to PERSONAL_DATA (with export and erase handlers) "
                "or to NO_PERSONAL_DATA (with the reason) in models/personal_data.py"
            )
            continue
        referring = employee_columns(table)
        if name in none and referring:
            problems.append(
                f"{name} has employee columns {sorted(referring)} but is in NO_PERSONAL_DATA: register it"
            )
        if name in personal:
            entry = personal[name]
            missing = set(entry.columns) - set(table.columns.keys())
            if missing:
                problems.append(f"{name}: the registry names columns it does not have: {sorted(missing)}")
            unnamed = referring - set(entry.columns)
            if unnamed:
                problems.append(
                    f"{name}: employee columns {sorted(unnamed)} are not named by its registry entry"
                )
            if entry.erasure not in ERASURES:
                problems.append(f"{name}: erasure {entry.erasure!r} is not one of {ERASURES}")
    if personal and list(personal)[-1] != "employees":
        problems.append("employees must be erased last (the other rows point at it)")
    return problems

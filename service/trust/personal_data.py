"""The rights of access and erasure: everything held about one employee, and erasing it everywhere.

`export_employee` reads every table of the registry (models/personal_data.py) for the employee and
adds the gaps as the gap model computes them now; `erase_employee` runs the registry's erase
functions (counts per table). Where else could an employee be?

- In-process caches: none holds employee data. The runtime keeps the FAISS snapshots and the BM25
  indexes (catalog units only: `micro_units` vectors and texts), the encoder, and each tenant's
  active ranking model (a few weights over ranking features, trained on many employees' feedback:
  aggregate, kept; the next retraining learns without the erased events). The rate limiter keys its
  buckets by a digest of the API key, never the employee, and forgets them within minutes.
- Files under LEERPAD_HOME: index snapshots (catalog only), uploaded catalogs, the pseudonym secret,
  and the SQLite database, which would keep erased bytes in free space and in its write-ahead log:
  the erasure overwrites deleted content (`secure_delete`) and checkpoints the log after commit.
- Logs: Leerpad's own log lines name no employee. Request paths hold employee ids
  (`/v1/employees/e-42/gaps`): Leerpad's access line (service.http.request_log) logs the route template
  and the path through `pseudonymise_path`; uvicorn's access log (off under `leerpad serve`) gets
  the same rewrite from `install_access_log_pseudonyms` (called in the app's lifespan). So no log
  holds an employee id in clear and nothing needs erasing from logs.

The audit log names the employee by a keyed pseudonym and is kept (see the registry). docs/privacy-rights.md
explains all of it for people.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from models import people_repository as people
from models import repositories as repo
from models.personal_data import (
    PERSONAL_DATA,
    DataSubject,
    checkpoint_after_erasure,
    overwrite_deleted_content,
)
from models.tables import Employee
from recommender.errors import NOT_FOUND, LeerpadError
from service.core.runtime import Runtime
from service.paths.planning import content_check
from service.people.employees import aimed_role
from service.people.gaps import ContentCheck, employee_gaps
from service.trust.audit import pseudonym, pseudonym_secret

log = logging.getLogger("leerpad.privacy")

ACCESS_LOGGER = "uvicorn.access"
_EMPLOYEE_IN_PATH = re.compile(r"(/v1/employees/)([^/?#\s]+)")


class UnknownEmployee(LeerpadError):
    """No employee with this key in this tenant."""

    code = NOT_FOUND

    def __init__(self, key: str) -> None:
        super().__init__(f"no employee {key!r}")


def data_subject(
    runtime: Runtime, session: Session, tenant_id: int, key: str
) -> tuple[Employee, DataSubject]:
    employee = people.get_employee(session, tenant_id, key)
    if employee is None:
        raise UnknownEmployee(key)
    secret = pseudonym_secret(runtime)
    return employee, DataSubject(tenant_id, employee.id, employee.key, pseudonym(secret, tenant_id, key))


def _gaps(
    session: Session, tenant_id: int, employee: Employee, has_content: ContentCheck
) -> tuple[dict[str, Any] | None, str | None]:
    """The gaps against the employee's target role (else their role) as the model computes them now."""
    role = aimed_role(session, tenant_id, employee)
    if role is None:
        return None, "the employee has no role, so there are no gaps"
    result = employee_gaps(session, tenant_id, employee, role, datetime.now(UTC), has_content)
    return {
        "employee_id": employee.key,
        "role": role.key,
        "gaps": [
            {
                "skill_id": g.skill_id,
                "skill": result.labels.get(g.skill_id, str(g.skill_id)),
                "required": g.required,
                "current": round(g.current, 2),
                "gap": g.gap,
                "importance": g.importance,
                "priority": round(g.priority, 4),
                "confidence": round(g.confidence, 3),
                "evidence_count": g.evidence_count,
                "has_content": g.has_content,
            }
            for g in result.gaps
        ],
        "uncovered": [g.skill_id for g in result.gaps if not g.has_content and g.gap > 0],
    }, None


def export_employee(
    runtime: Runtime, session: Session, tenant_id: int, key: str, *, include_gaps: bool = True
) -> dict[str, Any]:
    """Everything held about the employee: their rows in every registered table (API keys without
    their secret's hash; audit entries found by the pseudonym), the gaps as computed now (unless
    `include_gaps` is False: the tenant hides gap scores from this caller), and what erasure would do.
    Raises UnknownEmployee."""
    employee, subject = data_subject(runtime, session, tenant_id, key)
    tables = {name: entry.export(session, subject) for name, entry in PERSONAL_DATA.items()}
    if include_gaps:
        tenant = repo.get_tenant_by_id(session, tenant_id)
        slug = tenant.slug if tenant else ""
        gaps, withheld = _gaps(session, tenant_id, employee, content_check(runtime, slug, session, tenant_id))
    else:
        gaps, withheld = None, "this company does not show this employee's gap scores to this caller"
    return {
        "employee_id": employee.key,
        "exported_at": datetime.now(UTC),
        "tables": tables,
        "gaps": gaps,
        "gaps_withheld": withheld,
        "erasure": {name: entry.why for name, entry in PERSONAL_DATA.items()},
    }


def erase_employee(runtime: Runtime, session: Session, tenant_id: int, key: str) -> dict[str, dict[str, int]]:
    """Erase the employee from every registered table, in the registry's order, within the caller's
    transaction (nothing is half-erased: the session dependency commits or rolls back all of it).
    Returns what was deleted, pseudonymised or kept, per table. Raises UnknownEmployee.

    No cache needs clearing (see the module's docstring); the log line names the pseudonym."""
    _, subject = data_subject(runtime, session, tenant_id, key)
    overwrite_deleted_content(session)
    counts = {name: asdict(entry.erase(session, subject)) for name, entry in PERSONAL_DATA.items()}
    session.flush()
    session.expire_all()  # the employee's rows are gone: nothing in this session may still show them
    event.listen(session, "after_commit", lambda _: _checkpoint(runtime), once=True)
    log.info("erased employee %s of tenant %s: %s", subject.pseudonym, tenant_id, counts)
    return counts


def _checkpoint(runtime: Runtime) -> None:
    """Once the erasure is committed, flush SQLite's write-ahead log so its old pages go too."""
    try:
        if not checkpoint_after_erasure(runtime.engine):
            log.warning("checkpoint after an erasure was kept busy by a reader; the next one completes it")
    except Exception:  # the erasure itself has committed; this only hurries the log along
        log.exception("checkpoint after an erasure failed")


# --- logs -----------------------------------------------------------------------------------------


def log_pseudonym(secret: bytes, key: str) -> str:
    """An employee id as a log line may show it: 12 hex characters of a keyed hash (the pseudonym
    secret), the same for the same id, and not reversible by hashing likely ids."""
    return "~" + hmac.new(secret, f"log:{key}".encode(), hashlib.sha256).hexdigest()[:12]


def pseudonymise_path(secret: bytes, path: str) -> str:
    """`/v1/employees/e-42/gaps` -> `/v1/employees/~3f9a0c1b2d4e/gaps`."""
    return _EMPLOYEE_IN_PATH.sub(lambda m: m.group(1) + log_pseudonym(secret, m.group(2)), path)


def log_path_pseudonymiser(runtime: Runtime) -> Callable[[str], str]:
    """What our access log (service.http.request_log.RequestLog) writes for a path that names an
    employee: the path with the id pseudonymised by this runtime's secret."""
    return functools.partial(pseudonymise_path, pseudonym_secret(runtime))


class AccessLogPseudonyms(logging.Filter):
    """Rewrites the employee id in the request path of uvicorn's access log lines (whose arguments
    are client, method, path, HTTP version, status) before any handler writes them."""

    def __init__(self, secret: bytes) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(
                pseudonymise_path(self.secret, a) if isinstance(a, str) and "/employees/" in a else a
                for a in args
            )
        elif isinstance(record.msg, str) and "/employees/" in record.msg:
            record.msg = pseudonymise_path(self.secret, record.msg)
        return True


def install_access_log_pseudonyms(runtime: Runtime) -> AccessLogPseudonyms:
    """Put the filter on uvicorn's access logger (replacing one an earlier app of this process put there)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for old in [f for f in logger.filters if isinstance(f, AccessLogPseudonyms)]:
        logger.removeFilter(old)
    installed = AccessLogPseudonyms(pseudonym_secret(runtime))
    logger.addFilter(installed)
    return installed

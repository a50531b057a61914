"""The `issue-badges` job (run by service/worker.py; queued per employee by
service.core.badge_jobs when new evidence of them is stored): issues every badge the employee has
earned and does not hold yet, through `issuing.issue_earned`, the function POST
/v1/employees/{id}/badges calls, so both follow one rule.

Issuing is idempotent: what the employee holds is not issued again, and the unique constraint on
(tenant, employee, achievement) stops a second badge for one achievement when a request or another
worker issued it at the same moment. Such a collision rolls the job's transaction back, and the job
starts over on what is stored then (a few times at most). A tenant that turned badges off, or an
employee who withdrew consent or was erased since the job was queued, ends it with nothing issued.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from service.badges.issuing import BadgesOff, issue_earned
from service.core.runtime import Runtime
from service.core.settings import Settings

log = logging.getLogger("leerpad.badges")

ATTEMPTS = 3  # collisions with a concurrent issue of the same badge before the job fails


def _issue(session: Session, settings: Settings, tenant_slug: str, employee_id: int) -> dict[str, Any]:
    tenant = repo.get_tenant(session, tenant_slug)
    employee = people.get_employee_by_id(session, tenant.id, employee_id) if tenant else None
    if tenant is None or employee is None:
        return {"issued": 0, "skipped": "the employee no longer exists"}
    try:
        issued = issue_earned(session, settings, tenant.id, employee)
    except BadgesOff as exc:  # turned off, or consent withdrawn, since the job was queued
        return {"issued": 0, "skipped": exc.message}
    return {"issued": len(issued), "kinds": sorted({badge.kind for badge in issued})}


def run_issue_badges(runtime: Runtime, tenant_slug: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Issue what the payload's employee earned; the job's report: how many badges, of which kinds."""
    employee_id = int(payload["employee_id"])
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction(runtime.sessions) as session:
                return _issue(session, runtime.settings, tenant_slug, employee_id)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            log.info("badges of employee %s were issued meanwhile; looking again", employee_id)
    raise AssertionError("unreachable")  # the loop returns or raises

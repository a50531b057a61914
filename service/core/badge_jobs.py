"""Queueing the `issue-badges` job when new evidence of employees is stored.

Whatever stores evidence (assessments through `service.people.employees.add_assessments`, learning
events that are evidence or complete units through `service.events.recording.record_statements`)
calls `queue_issue_badges` in its own transaction; the job (service/badges/job.py, run by
service/worker.py) then issues what the employee earned and does not hold, through the function
POST /v1/employees/{id}/badges calls. Here in core because the domains that store evidence are the
ones the badges domain reads (people, events): they may not import it.

Nothing is queued for a tenant with badges off or an employee who did not consent (one indexed
query), and at most one job waits per employee: new evidence while one waits joins it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from models import badges_repository as badges_repo
from models import repositories as repo

ISSUE_BADGES = "issue-badges"


def queue_issue_badges(session: Session, tenant_id: int, employee_ids: Collection[int]) -> int:
    """Queue an `issue-badges` job for each of these employees who consented, when the tenant has
    badges on, unless one is waiting for them already; returns how many were queued."""
    wanting = badges_repo.consenting_employees(session, tenant_id, employee_ids)
    return sum(repo.enqueue_employee_job(session, tenant_id, ISSUE_BADGES, e) for e in sorted(wanting))

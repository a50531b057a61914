"""Who may see one employee's gap scores: a per-tenant switch the employer agrees with its works council.

    all              every caller the route lets in (admin, lms, the employee)
    employees_only   the employee alone, with their own key; the LMS and admins get team reports
    aggregates_only  nobody: only the team reports (which suppress groups under 5) show gaps

Paths are still planned from the gaps under every setting (that is the point of Leerpad); where
the scores may not be shown, a path's steps name the skill they address without the gap size.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from models import repositories as repo
from service.http.deps import Caller
from service.http.errors import Forbidden

IndividualGaps = Literal["all", "employees_only", "aggregates_only"]
INDIVIDUAL_GAPS: tuple[str, ...] = ("all", "employees_only", "aggregates_only")


def shows_gap_scores(session: Session, caller: Caller) -> bool:
    """Whether the caller's company shows this caller one employee's gap scores now."""
    tenant = repo.get_tenant_by_id(session, caller.tenant_id)
    return may_see_gap_scores(tenant.individual_gaps if tenant else "all", caller)


def require_gap_scores_shown(session: Session, caller: Caller) -> None:
    """Refuse a request for one employee's gap scores that the caller's company does not show them."""
    tenant = repo.get_tenant_by_id(session, caller.tenant_id)
    require_gap_scores(tenant.individual_gaps if tenant else "all", caller)


def may_see_gap_scores(setting: str, caller: Caller) -> bool:
    if setting == "all":
        return True
    if setting == "employees_only":
        return caller.role == "employee"
    return False


def require_gap_scores(setting: str, caller: Caller) -> None:
    """Refuse a request for one employee's gap scores that the tenant's setting does not allow."""
    if not may_see_gap_scores(setting, caller):
        who = "the employee alone" if setting == "employees_only" else "nobody; team reports only"
        raise Forbidden(
            f"this company shows individual gap scores to {who} (setting individual_gaps={setting})"
        )

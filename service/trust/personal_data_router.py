"""The employee's rights over their data: access (an export of everything held) and erasure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from service.http.deps import Caller, PeopleCaller, RuntimeDep, SessionDep, require
from service.http.errors import problem_responses
from service.http.params import Key
from service.people.employees import employee_public, load_employee
from service.people.visibility import shows_gap_scores
from service.trust.personal_data import erase_employee, export_employee
from service.trust.personal_data_schemas import EmployeeExport

router = APIRouter(prefix="/v1", tags=["people"])

# Who carries out an erasure: the employer's systems (see docs/privacy-rights.md), not the employee's key.
EmployerCaller = Annotated[Caller, Depends(require("admin", "lms"))]


@router.get(
    "/employees/{employee_id}/export",
    response_model=EmployeeExport,
    responses=problem_responses(401, 403, 404),
)
def export_employee_data(
    employee_id: Key, caller: PeopleCaller, session: SessionDep, runtime: RuntimeDep
) -> EmployeeExport:
    """Everything held about the employee (the right of access): their rows in every table that holds
    employee data, and their gaps as computed now (when the company shows gap scores to this caller)."""
    employee = load_employee(session, caller, employee_id)
    shown = shows_gap_scores(session, caller)
    exported = export_employee(runtime, session, caller.tenant_id, employee_id, include_gaps=shown)
    return EmployeeExport.model_validate({**exported, "employee": employee_public(session, employee)})


@router.delete(
    "/employees/{employee_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
def erase_employee_data(
    employee_id: Key, caller: EmployerCaller, session: SessionDep, runtime: RuntimeDep
) -> None:
    """Erase the employee everywhere (the right to erasure): their assessments, contests, learning
    events, paths, API keys and the employee itself are deleted; colleagues' statements that name them
    keep a pseudonym instead; the audit log never held their id. The admin or the LMS carries out the
    employee's request; an employee key cannot erase (docs/privacy-rights.md)."""
    erase_employee(runtime, session, caller.tenant_id, employee_id)

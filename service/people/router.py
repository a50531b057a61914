"""Roles, employees, assessments and gaps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from models import people_repository as people
from models import taxonomy_repository as tax
from models.tables import Employee, Role
from service.http.deps import (
    AnyCaller,
    Caller,
    CatalogManager,
    PeopleCaller,
    RuntimeDep,
    SessionDep,
    check_employee_access,
    require,
)
from service.http.errors import NotFound, Unprocessable, problem_responses
from service.http.params import Key
from service.paths.planning import content_check
from service.people.employees import (
    AssessmentInput,
    add_assessments,
    load_employee,
    role_to_reach,
    upsert_employee,
)
from service.people.gaps import employee_gaps
from service.people.schemas import (
    MAX_ASSESSMENTS,
    AssessmentIn,
    AssessmentsAccepted,
    EmployeeIn,
    EmployeePublic,
    GapPublic,
    GapsPublic,
)
from service.people.visibility import require_gap_scores_shown, shows_gap_scores
from service.skills.roles import (
    RoleSkillInput,
    find_occupation,
    occupation_skill_inputs,
    skill_label,
    upsert_role,
)
from service.skills.schemas import ResolutionPublic, RoleIn, RolePublic, RoleSkillPublic
from service.trust.personal_data import erase_employee, export_employee
from service.trust.personal_data_schemas import EmployeeExport

router = APIRouter(prefix="/v1", tags=["people"])

# Who carries out an erasure: the employer's systems (see docs/privacy-rights.md), not the employee's key.
EmployerCaller = Annotated[Caller, Depends(require("admin", "lms"))]


def role_public(
    session: SessionDep, tenant_id: int, role: Role, resolved: list[ResolutionPublic] | None = None
) -> RolePublic:
    skills = tax.get_skills(session, tenant_id, [rs.skill_id for rs in role.skills])
    occupation_uri = None
    if role.occupation_id is not None:
        occupation = tax.get_occupation_by_id(session, tenant_id, role.occupation_id)
        occupation_uri = occupation.uri if occupation else None
    return RolePublic(
        role_id=role.key,
        name=role.name,
        occupation_uri=occupation_uri,
        skills=[
            RoleSkillPublic(
                skill_id=rs.skill_id,
                label=skill_label(skills[rs.skill_id]),
                level=rs.level,
                importance=rs.importance,
            )
            for rs in sorted(role.skills, key=lambda rs: (-rs.importance, rs.skill_id))
            if rs.skill_id in skills
        ],
        resolved=resolved or [],
    )


@router.put("/roles/{role_id}", response_model=RolePublic, responses=problem_responses(401, 403, 404, 422))
def put_role(
    role_id: Key, body: RoleIn, caller: CatalogManager, session: SessionDep, runtime: RuntimeDep
) -> RolePublic:
    """Create or replace a role profile. Labels that match no skill become custom skills."""
    inputs = [RoleSkillInput(s.skill, s.level, s.importance) for s in body.skills]
    occupation = None
    if body.occupation:
        occupation = find_occupation(session, caller.tenant_id, body.occupation)
        if occupation is None:
            raise NotFound(f"occupation: no occupation matches {body.occupation!r}; import ESCO first")
        named = {s.skill for s in body.skills}
        inputs = [i for i in occupation_skill_inputs(session, occupation) if i.skill not in named] + inputs
    role, resolutions = upsert_role(
        session,
        caller.tenant_id,
        role_id,
        body.name,
        inputs,
        runtime.encoder,
        runtime.settings.model,
        language=body.language,
        occupation=occupation,
    )
    return role_public(
        session,
        caller.tenant_id,
        role,
        [ResolutionPublic(**r.__dict__) for r in resolutions if r.resolved_by != "id" or not body.occupation],
    )


@router.get("/roles/{role_id}", response_model=RolePublic, responses=problem_responses(401, 403, 404))
def get_role(role_id: Key, caller: AnyCaller, session: SessionDep) -> RolePublic:
    role = people.get_role(session, caller.tenant_id, role_id)
    if role is None:
        raise NotFound(f"no role {role_id!r}")
    return role_public(session, caller.tenant_id, role)


@router.get("/roles", response_model=list[RolePublic], responses=problem_responses(401, 403))
def list_roles(caller: AnyCaller, session: SessionDep) -> list[RolePublic]:
    return [
        role_public(session, caller.tenant_id, role) for role in people.list_roles(session, caller.tenant_id)
    ]


def _role_key(session: SessionDep, tenant_id: int, role_id: int | None) -> str | None:
    if role_id is None:
        return None
    role = people.get_role_by_id(session, tenant_id, role_id)
    return role.key if role else None


def employee_public(session: SessionDep, employee: Employee) -> EmployeePublic:
    return EmployeePublic(
        employee_id=employee.key,
        role=_role_key(session, employee.tenant_id, employee.role_id),
        target_role=_role_key(session, employee.tenant_id, employee.target_role_id),
        team=employee.team,
        language=employee.language,
        preferences=dict(employee.preferences or {}),
    )


@router.put(
    "/employees/{employee_id}", response_model=EmployeePublic, responses=problem_responses(401, 403, 422)
)
def put_employee(
    employee_id: Key, body: EmployeeIn, caller: PeopleCaller, session: SessionDep
) -> EmployeePublic:
    """Create or update an employee: role, team, language, preferences."""
    check_employee_access(caller, employee_id)
    employee = upsert_employee(
        session,
        caller.tenant_id,
        employee_id,
        role=body.role,
        target_role=body.target_role,
        team=body.team,
        language=body.language,
        preferences=body.preferences,
    )
    return employee_public(session, employee)


@router.get(
    "/employees/{employee_id}", response_model=EmployeePublic, responses=problem_responses(401, 403, 404)
)
def get_employee(employee_id: Key, caller: PeopleCaller, session: SessionDep) -> EmployeePublic:
    return employee_public(session, load_employee(session, caller, employee_id))


@router.post(
    "/employees/{employee_id}/assessments",
    response_model=AssessmentsAccepted,
    responses=problem_responses(401, 403, 404, 422),
)
def post_assessments(
    employee_id: Key, body: list[AssessmentIn], caller: PeopleCaller, session: SessionDep
) -> AssessmentsAccepted:
    """Evidence of current levels. All or nothing: one bad entry rejects the batch, naming it."""
    employee = load_employee(session, caller, employee_id)
    if not body:
        raise Unprocessable("body: an empty list of assessments")
    if len(body) > MAX_ASSESSMENTS:
        raise Unprocessable(f"body: {len(body)} assessments; at most {MAX_ASSESSMENTS} per request")
    entries = [AssessmentInput(e.skill, e.level, e.source, e.observed_at) for e in body]
    resolved = add_assessments(
        session, caller.tenant_id, employee, entries, self_only=caller.role == "employee"
    )
    return AssessmentsAccepted(
        accepted=len(resolved),
        skills=[
            ResolutionPublic(given=given, skill_id=s.id, label=skill_label(s), resolved_by="label")
            for given, s in resolved
        ],
    )


@router.get(
    "/employees/{employee_id}/gaps",
    response_model=GapsPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def get_gaps(
    employee_id: Key,
    caller: PeopleCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    target_role: Annotated[
        str | None, Query(max_length=200, description="A role to move to, instead of the current one")
    ] = None,
    include_closed: bool = False,
) -> GapsPublic:
    """The employee's gaps against their role (or a target role), most important first; to whom
    the tenant's `individual_gaps` setting allows (GET /v1/settings)."""
    employee = load_employee(session, caller, employee_id)
    require_gap_scores_shown(session, caller)
    role = role_to_reach(session, caller.tenant_id, employee, target_role)
    has_content = content_check(runtime, caller.tenant_slug, session, caller.tenant_id)
    result = employee_gaps(
        session, caller.tenant_id, employee, role, datetime.now(UTC), has_content, include_closed
    )
    return GapsPublic(
        employee_id=employee.key,
        role=role.key,
        gaps=[
            GapPublic(
                skill_id=g.skill_id,
                skill=result.labels.get(g.skill_id, str(g.skill_id)),
                required=g.required,
                current=round(g.current, 2),
                gap=g.gap,
                importance=g.importance,
                priority=round(g.priority, 4),
                confidence=round(g.confidence, 3),
                evidence_count=g.evidence_count,
                has_content=g.has_content,
            )
            for g in result.gaps
        ],
        uncovered=[g.skill_id for g in result.gaps if not g.has_content and g.gap > 0],
    )


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

"""Roles, employees and assessments (an employee's gaps: service/paths/gaps_router.py; their data
export and erasure: service/trust/personal_data_router.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from models import people_repository as people
from models import taxonomy_repository as tax
from models.tables import Role
from service.http.deps import (
    AnyCaller,
    CatalogManager,
    PeopleCaller,
    RuntimeDep,
    SessionDep,
    check_employee_access,
)
from service.http.errors import NotFound, Unprocessable, problem_responses
from service.http.params import Key
from service.people.employees import (
    AssessmentInput,
    add_assessments,
    employee_public,
    load_employee,
    upsert_employee,
)
from service.people.schemas import (
    MAX_ASSESSMENTS,
    AssessmentIn,
    AssessmentsAccepted,
    EmployeeIn,
    EmployeePublic,
)
from service.skills.roles import (
    RoleChanges,
    RoleSkillInput,
    find_occupation,
    occupation_skill_inputs,
    skill_label,
    upsert_role,
)
from service.skills.schemas import (
    LevelChange,
    ResolutionPublic,
    RoleChangesPublic,
    RoleIn,
    RolePublic,
    RoleSkillPublic,
)
from service.xapi.store import apply_pending

router = APIRouter(prefix="/v1", tags=["people"])


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
    role_id: Key,
    body: RoleIn,
    caller: CatalogManager,
    session: SessionDep,
    runtime: RuntimeDep,
    create_skills: Annotated[
        bool,
        Query(
            description="false: refuse labels that name no skill (422 listing them and the closest skills)"
        ),
    ] = True,
) -> RolePublic:
    """Create or replace a role profile: the request's skill list replaces the whole list, and the
    answer says what changed. Labels that match no skill become custom skills (`created: true`),
    unless `create_skills=false`."""
    inputs = [RoleSkillInput(s.skill, s.level, s.importance) for s in body.skills]
    occupation = None
    if body.occupation:
        occupation = find_occupation(session, caller.tenant_id, body.occupation)
        if occupation is None:
            raise NotFound(f"occupation: no occupation matches {body.occupation!r}; import ESCO first")
        named = {s.skill for s in body.skills}
        inputs = [i for i in occupation_skill_inputs(session, occupation) if i.skill not in named] + inputs
    role, resolutions, changes = upsert_role(
        session,
        caller.tenant_id,
        role_id,
        body.name,
        inputs,
        runtime.encoder,
        runtime.settings.model,
        language=body.language,
        occupation=occupation,
        create_skills=create_skills,
    )
    shown = role_public(
        session,
        caller.tenant_id,
        role,
        [
            ResolutionPublic(**r.__dict__, created=r.resolved_by == "created")
            for r in resolutions
            if r.resolved_by != "id" or not body.occupation
        ],
    )
    return shown.model_copy(update={"changes": role_changes_public(session, caller.tenant_id, role, changes)})


def role_changes_public(
    session: SessionDep, tenant_id: int, role: Role, changes: RoleChanges
) -> RoleChangesPublic:
    """What a PUT changed, with the skills' labels."""
    ids = changes.added + [s for s, _, _ in changes.removed] + [s for s, _, _ in changes.levels]
    skills = tax.get_skills(session, tenant_id, ids)
    now = {rs.skill_id: rs for rs in role.skills}

    def label(skill_id: int) -> str:
        return skill_label(skills[skill_id]) if skill_id in skills else str(skill_id)

    return RoleChangesPublic(
        added=[
            RoleSkillPublic(skill_id=s, label=label(s), level=now[s].level, importance=now[s].importance)
            for s in changes.added
        ],
        removed=[
            RoleSkillPublic(skill_id=s, label=label(s), level=level, importance=importance)
            for s, level, importance in changes.removed
        ],
        level_changes=[
            LevelChange(skill_id=s, skill=label(s), before=before, now=level)
            for s, before, level in changes.levels
        ],
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


@router.put(
    "/employees/{employee_id}", response_model=EmployeePublic, responses=problem_responses(401, 403, 422)
)
def put_employee(
    employee_id: Key, body: EmployeeIn, caller: PeopleCaller, session: SessionDep
) -> EmployeePublic:
    """Create or update an employee: role, team, language, preferences. Statements the LRS kept for
    an LMS account of that name, which named no one until now, count from here on."""
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
    apply_pending(session, caller.tenant_id, datetime.now(UTC), account_name=employee_id)
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

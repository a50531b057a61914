"""The nudge routes of the API: a tenant's Slack and Teams integrations (admin), and an employee's
own nudge settings (the employee, or the LMS or an admin for them)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from service.http.deps import AdminCaller, PeopleCaller, RuntimeDep, SessionDep
from service.http.errors import problem_responses
from service.http.params import Key
from service.nudges.integrations import (
    SLACK,
    TEAMS,
    connect_slack,
    connect_teams,
    disconnect,
    read_integration,
)
from service.nudges.preferences import read_preferences, save_preferences
from service.nudges.schemas import (
    IntegrationOut,
    NudgePreferencesIn,
    NudgePreferencesOut,
    SlackIntegrationIn,
    TeamsIntegrationIn,
)
from service.people.employees import load_employee

router = APIRouter(prefix="/v1", tags=["nudges"])


@router.put("/integrations/slack", response_model=IntegrationOut, responses=problem_responses(401, 403, 422))
def put_slack(
    body: SlackIntegrationIn, caller: AdminCaller, session: SessionDep, runtime: RuntimeDep
) -> IntegrationOut:
    """Connect the company's Slack app: its bot token and signing secret (stored encrypted, never
    shown again). The answer names the request URLs to enter in the app."""
    return connect_slack(session, runtime.settings, caller.tenant_id, caller.tenant_slug, body)


@router.get("/integrations/slack", response_model=IntegrationOut, responses=problem_responses(401, 403, 404))
def get_slack(caller: AdminCaller, session: SessionDep, runtime: RuntimeDep) -> IntegrationOut:
    return read_integration(session, runtime.settings, caller.tenant_id, caller.tenant_slug, SLACK)


@router.delete("/integrations/slack", status_code=204, responses=problem_responses(401, 403, 404))
def delete_slack(caller: AdminCaller, session: SessionDep) -> Response:
    disconnect(session, caller.tenant_id, SLACK)
    return Response(status_code=204)


@router.put("/integrations/teams", response_model=IntegrationOut, responses=problem_responses(401, 403, 422))
def put_teams(
    body: TeamsIntegrationIn, caller: AdminCaller, session: SessionDep, runtime: RuntimeDep
) -> IntegrationOut:
    """Connect Teams: the Workflows webhook the cards go to (stored encrypted) and the Azure Bot whose
    signed Action.Submit posts bring the clicks back."""
    return connect_teams(session, runtime.settings, caller.tenant_id, caller.tenant_slug, body)


@router.get("/integrations/teams", response_model=IntegrationOut, responses=problem_responses(401, 403, 404))
def get_teams(caller: AdminCaller, session: SessionDep, runtime: RuntimeDep) -> IntegrationOut:
    return read_integration(session, runtime.settings, caller.tenant_id, caller.tenant_slug, TEAMS)


@router.delete("/integrations/teams", status_code=204, responses=problem_responses(401, 403, 404))
def delete_teams(caller: AdminCaller, session: SessionDep) -> Response:
    disconnect(session, caller.tenant_id, TEAMS)
    return Response(status_code=204)


@router.put(
    "/employees/{employee_id}/nudges",
    response_model=NudgePreferencesOut,
    responses=problem_responses(401, 403, 404, 422),
)
def put_nudge_settings(
    employee_id: Key, body: NudgePreferencesIn, caller: PeopleCaller, session: SessionDep
) -> NudgePreferencesOut:
    """The employee's own nudge settings: nothing is sent without `opted_in`; `opted_in: false` opts out."""
    employee = load_employee(session, caller, employee_id)
    return save_preferences(session, caller.tenant_id, employee, body)


@router.get(
    "/employees/{employee_id}/nudges",
    response_model=NudgePreferencesOut,
    responses=problem_responses(401, 403, 404),
)
def get_nudge_settings(employee_id: Key, caller: PeopleCaller, session: SessionDep) -> NudgePreferencesOut:
    employee = load_employee(session, caller, employee_id)
    return read_preferences(session, caller.tenant_id, employee)

"""Learning Days, progress and team challenges: the company's Learning Day setting, an employee's
invite (.ics) and own progress, and team challenges with opt-in. No route returns people of a group
in an order (docs/works-council.md): progress is one employee's own, a challenge shows a team total."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from models import people_repository as people
from service.http.deps import AdminCaller, AnyCaller, CatalogManager, PeopleCaller, SessionDep
from service.http.errors import NotFound, problem_responses
from service.http.params import Key
from service.learning import challenges, days
from service.learning.invite import invite
from service.learning.progress import employee_progress
from service.learning.schemas import (
    ChallengeIn,
    ChallengeProgress,
    ChallengesPublic,
    LearningDaySettings,
    LearningDaysPublic,
    MilestonePublic,
    ProgressPublic,
    WeekPublic,
)
from service.people.employees import load_employee
from service.people.visibility import require_gap_scores_shown

router = APIRouter(prefix="/v1", tags=["learning days and progress"])
ChallengeId = Annotated[int, Path(ge=1, le=2**62)]


@router.get(
    "/settings/learning-days", response_model=LearningDaysPublic, responses=problem_responses(401, 403)
)
def read_learning_days(caller: CatalogManager, session: SessionDep) -> LearningDaysPublic:
    """The company's Learning Days and the next few of them."""
    return days.describe(session, caller.tenant_id, datetime.now(UTC).date())


@router.put(
    "/settings/learning-days", response_model=LearningDaysPublic, responses=problem_responses(401, 403, 422)
)
def set_learning_days(
    body: LearningDaySettings, caller: AdminCaller, session: SessionDep
) -> LearningDaysPublic:
    """Set the company's learning time: a calendar rule (e.g. the first Friday of each month, 8 hours)
    or a share of contract hours (e.g. 5% of 36 hours a week, as one day a month). Paths plan units
    on these days from then on."""
    return days.change(session, caller.tenant_id, body, datetime.now(UTC).date())


@router.delete(
    "/settings/learning-days", response_model=LearningDaysPublic, responses=problem_responses(401, 403)
)
def end_learning_days(caller: AdminCaller, session: SessionDep) -> LearningDaysPublic:
    """No Learning Days any more: paths plan the weekly time alone."""
    return days.change(session, caller.tenant_id, None, datetime.now(UTC).date())


@router.get(
    "/employees/{employee_id}/learning-day.ics",
    responses={
        **problem_responses(401, 403, 404),
        200: {"content": {"text/calendar": {}}, "description": "An iCalendar invite"},
    },
    response_class=Response,
)
def learning_day_invite(employee_id: Key, caller: PeopleCaller, session: SessionDep) -> Response:
    """The invite for the employee's next Learning Day, with the units their latest path plans on it."""
    employee = load_employee(session, caller, employee_id)
    body = invite(session, caller.tenant_id, caller.tenant_slug, employee, datetime.now(UTC))
    if body is None:
        raise NotFound(f"no Learning Day ahead for {employee_id!r} (none set by the company, or opted out)")
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="learning-day.ics"'},
    )


@router.get(
    "/employees/{employee_id}/progress",
    response_model=ProgressPublic,
    responses=problem_responses(401, 403, 404),
)
def progress(employee_id: Key, caller: PeopleCaller, session: SessionDep) -> ProgressPublic:
    """The employee's own progress: minutes this week against their weekly goal, the streak of weeks
    the goal was met, the last 8 weeks, the skills that reached what their role asks, their next
    Learning Day and the team challenges they joined. For the employee and their LMS; nothing in
    Leerpad ranks people."""
    employee = load_employee(session, caller, employee_id)
    require_gap_scores_shown(session, caller)
    found = employee_progress(session, caller.tenant_id, employee, datetime.now(UTC))
    shown = found.shown
    return ProgressPublic(
        employee_id=employee.key,
        weekly_goal_minutes=shown.weekly_goal,
        minutes_this_week=shown.this_week.minutes,
        goal_met_this_week=shown.this_week.goal_met,
        streak_weeks=shown.streak,
        weeks=[WeekPublic(week_start=w.start, minutes=w.minutes, goal_met=w.goal_met) for w in shown.weeks],
        milestones=[
            MilestonePublic(
                skill_id=m.skill_id,
                skill=found.labels.get(m.skill_id, str(m.skill_id)),
                required=m.required,
                level=m.level,
                reached_on=m.reached_on,
            )
            for m in shown.milestones
        ],
        next_learning_day=found.next_learning_day,
        challenges=found.challenges,
    )


@router.post(
    "/challenges",
    response_model=ChallengeProgress,
    status_code=201,
    responses=problem_responses(401, 403, 422),
)
def create_challenge(body: ChallengeIn, caller: CatalogManager, session: SessionDep) -> ChallengeProgress:
    """A team goal (e.g. 300 minutes of learning in a team this month); employees of the team opt in."""
    return challenges.create(session, caller.tenant_id, body)


@router.get("/challenges", response_model=ChallengesPublic, responses=problem_responses(401, 403, 422))
def list_challenges(
    caller: AnyCaller,
    session: SessionDep,
    team: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> ChallengesPublic:
    """The challenges with their team totals (never anyone's own minutes); an employee key also sees
    which ones it joined."""
    employee = None
    if caller.role == "employee":
        employee = people.get_employee(session, caller.tenant_id, caller.employee_id or "")
    return challenges.listing(session, caller.tenant_id, team, employee)


@router.delete("/challenges/{challenge_id}", status_code=204, responses=problem_responses(401, 403, 404))
def delete_challenge(challenge_id: ChallengeId, caller: CatalogManager, session: SessionDep) -> Response:
    challenges.remove(session, caller.tenant_id, challenge_id)
    return Response(status_code=204)


@router.put(
    "/challenges/{challenge_id}/participants/{employee_id}",
    response_model=ChallengeProgress,
    responses=problem_responses(401, 403, 404, 422),
)
def join_challenge(
    challenge_id: ChallengeId, employee_id: Key, caller: PeopleCaller, session: SessionDep
) -> ChallengeProgress:
    """Opt in to a challenge of one's own team."""
    employee = load_employee(session, caller, employee_id)
    return challenges.join(session, caller.tenant_id, challenge_id, employee, datetime.now(UTC))


@router.delete(
    "/challenges/{challenge_id}/participants/{employee_id}",
    response_model=ChallengeProgress,
    responses=problem_responses(401, 403, 404),
)
def leave_challenge(
    challenge_id: ChallengeId, employee_id: Key, caller: PeopleCaller, session: SessionDep
) -> ChallengeProgress:
    """Opt out, at any time."""
    employee = load_employee(session, caller, employee_id)
    return challenges.leave(session, caller.tenant_id, challenge_id, employee)

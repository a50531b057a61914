"""An employee's own progress: weekly goal, minutes this week, streak, milestones, their next Learning
Day and the team challenges they joined. Nobody else's figures appear in it, and nothing is ranked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models import learning_repository as learning
from models import people_repository as people
from models.tables import Employee
from recommender.progress import Observation, milestones, minutes_by_week, streak, week_start
from service.learning.challenges import challenge_progress
from service.learning.days import next_employee_day
from service.learning.minutes import event_minutes, midnight
from service.learning.schemas import GoalPublic, MilestonePublic, ProgressPublic
from service.people.employees import weekly_goal

STREAK_WEEKS = 104  # how far back a streak is counted
SHOWN_WEEKS = 8


def employee_progress(session: Session, tenant_id: int, employee: Employee, now: datetime) -> ProgressPublic:
    today = now.date()
    monday = week_start(today)
    goal = weekly_goal(employee)  # the path's own default budget: one rule
    rows = learning.learning_between(
        session,
        tenant_id,
        midnight(monday - timedelta(weeks=STREAK_WEEKS)),
        now + timedelta(seconds=1),
        [employee.id],
    )
    weeks = minutes_by_week((r.occurred_at.date(), event_minutes(r)) for r in rows)
    this_week = round(weeks.get(monday, 0.0), 1)
    role_id = employee.role_id or employee.target_role_id
    targets = learning.role_targets(session, tenant_id).get(role_id, {}) if role_id else {}
    evidence: dict[int, list[Observation]] = {}
    for a in people.assessments_of(session, tenant_id, employee.id):
        evidence.setdefault(a.skill_id, []).append(Observation(a.observed_at, a.level, a.source))
    reached = milestones(targets, evidence)
    labels = learning.skill_labels(session, tenant_id, [m.skill_id for m in reached])
    dutch = employee.language == "nl"
    joined = learning.challenges_joined(session, tenant_id, employee.id)
    challenges = [
        challenge_progress(session, tenant_id, c, True)
        for c in learning.list_challenges(session, tenant_id)
        if c.id in joined
    ]
    return ProgressPublic(
        employee_id=employee.key,
        week_start=monday,
        goal=GoalPublic(minutes_per_week=goal, minutes_this_week=this_week, met=this_week >= goal),
        streak_weeks=streak(weeks, goal, today),
        weekly_minutes=[
            (monday - timedelta(weeks=n), round(weeks.get(monday - timedelta(weeks=n), 0.0), 1))
            for n in range(SHOWN_WEEKS - 1, -1, -1)
        ],
        milestones=[
            MilestonePublic(
                skill_id=m.skill_id,
                skill=labels.get(m.skill_id, (str(m.skill_id), str(m.skill_id)))[1 if dutch else 0],
                target=m.target,
                level=m.level,
                reached_at=m.reached_at,
                evidence=m.source,
            )
            for m in reached
        ],
        next_learning_day=next_employee_day(session, tenant_id, employee, today),
        challenges=challenges,
    )

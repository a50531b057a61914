"""The demo company's past Learning Days: what the KPI report's Learning Day share and time to
proficiency are computed from.

On the Monday of each Learning Day's week the LMS asked every employee's path (their own minutes and
weeks, with the Learning Days in them), planned on what they had learned so far; on the day most
employees kept the time free and worked through the units their path planned on it, some only part
of them, and fewer in teams with customers to serve (the helpdesk stays staffed, sales has meetings).
A week or two after, the skills they spent time on those days were tested again, where the company
has a test (the skills most roles ask), with an entry test first where nothing was known of them:
nearly all of those one level below the target who spent half an hour or more on it reached it,
about two in three of those who spent less.

Made up and seeded like the rest of the history (service.demo.activity): each employee's day draws
from a generator of its own, so nothing here moves the other simulated learning.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models import people_repository as people
from models.tables import Employee
from recommender.gaps import Gap
from service.core.runtime import Runtime
from service.events.xapi import ADL
from service.learning.calendar import occurrences
from service.learning.days import path_learning_days, tenant_settings
from service.paths.planning import budget_for, employee_plan, plan_path, store_path
from service.people.gaps import ContentCheck

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:leerpad:demo:learning-days")
PLANNED_AT = time(8, 0)  # the LMS asks the week's paths on Monday morning
# The chance that an employee of the team kept a Learning Day free; the rest had other work that day.
KEPT_FREE = {
    "platform": 0.95,
    "data": 0.95,
    "payments": 0.9,
    "design": 0.9,
    "product": 0.85,
    "people": 0.85,
    "support": 0.75,  # the helpdesk stays staffed
    "sales": 0.7,  # customer meetings are not moved
}
KEPT_FREE_OTHERS = 0.85
NEVER_FREE = 0.05  # the share of people who never manage to keep the day free
CLOSE_GAP = 1.0  # a gap of at most one level can be closed by a quarter of Learning Days
MINUTES_ON_SKILL = 10  # Learning Day minutes on a skill before it is tested again
MINUTES_TO_CLOSE = 30  # Learning Day minutes after which nearly everyone one level below reaches it
LONG_KNOWN_DAYS = 180  # a gap known this long was worked on before the quarter too
TESTED_BY = 8  # the company has tests for the skills that this many employees' roles ask


@dataclass(frozen=True)
class Checked:
    """An assessment of a skill learned on Learning Days: an entry test or the quarter's test."""

    employee: Employee
    skill_id: int
    level: float
    source: str
    observed_at: datetime


def company_days(session: Session, tenant_id: int, start: datetime, end: datetime) -> list[date]:
    """The company's Learning Days in [start, end), by its own rule (none when it set none)."""
    settings = tenant_settings(session, tenant_id)
    if settings is None:
        return []
    return [d for d in occurrences(settings, start.date(), end.date()) if start.date() <= d < end.date()]


def planning_moment(day: date) -> datetime:
    """The Monday morning of the Learning Day's week."""
    return datetime.combine(day - timedelta(days=day.weekday()), PLANNED_AT, tzinfo=UTC)


def plan_round(
    runtime: Runtime,
    tenant: str,
    session: Session,
    tenant_id: int,
    employees: Sequence[Employee],
    at: datetime,
    has_content: ContentCheck,
    index_version: int | None,
) -> dict[int, dict[str, Any]]:
    """Every employee's path as asked at `at` (stored, made then), by employee id."""
    paths: dict[int, dict[str, Any]] = {}
    for employee in employees:
        role = people.get_role_by_id(session, tenant_id, employee.role_id or 0)
        if role is None:
            continue
        budget = budget_for(employee, None, None)
        budget = replace(
            budget, learning_days=path_learning_days(session, tenant_id, employee, at.date(), budget.weeks)
        )
        plan = employee_plan(session, tenant_id, employee, role, budget, None, at, has_content)
        planned = plan_path(runtime, tenant, session, tenant_id, plan, at)
        request = {"minutes_per_week": budget.minutes_per_week, "weeks": budget.weeks}
        store_path(session, tenant_id, employee, request, planned, index_version, created_at=at)
        paths[employee.id] = planned.body
    return paths


def _statement(employee: str, activity: str, verb: str, when: datetime, **result: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"{employee}|{activity}|{verb}|{when.isoformat()}")),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://academy.fietsjes.example", "name": employee},
        },
        "verb": {"id": f"{ADL}{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "result": result,
    }


def _duration(minutes: float) -> str:
    return f"PT{max(1, round(minutes))}M"


def spend_day(
    seed: int,
    employee: Employee,
    path: Mapping[str, Any],
    day: date,
    course_units: Mapping[int, Sequence[tuple[str, int]]],
) -> tuple[list[dict[str, Any]], dict[int, float]]:
    """The statements of one employee's Learning Day and the minutes they learned per skill: the
    courses the path planned on the day, in its order, each done whole (`course_units`: the
    activity id and minutes of each of its units) when the time they had left still held it; each
    unit finished is one `completed` statement with the time it took. Whole
    courses, because a course left halfway is picked up halfway by the next path."""
    steps = [s for s in path.get("steps") or [] if s.get("learning_day") == day.isoformat()]
    never = random.Random(f"{seed}|{employee.key}").random() < NEVER_FREE
    rng = random.Random(f"{seed}|{employee.key}|{day.isoformat()}")
    if never or not steps or rng.random() >= KEPT_FREE.get(employee.team or "", KEPT_FREE_OTHERS):
        return [], {}
    courses: dict[int, list[Mapping[str, Any]]] = {}
    for step in steps:
        courses.setdefault(int(step["item_id"]), []).append(step)
    available = sum(float(s["minutes"]) for s in steps) * rng.uniform(0.6, 1.0)
    clock = datetime.combine(day, time(9, rng.randint(0, 40)), tzinfo=UTC)
    lunch = datetime.combine(day, time(12, 0), tzinfo=UTC)
    statements: list[dict[str, Any]] = []
    per_skill: dict[int, float] = {}
    used = 0.0
    for item, course in courses.items():
        units = course_units.get(item) or [(str(s["activity_id"]), int(s["minutes"])) for s in course]
        if used + sum(minutes for _, minutes in units) > available:
            continue  # too long for the time left: the next, shorter course may fit
        for activity, minutes in units:
            used += minutes
            spent = minutes * rng.uniform(0.85, 1.2)
            clock += timedelta(minutes=spent + rng.randint(1, 5))
            if clock >= lunch and clock - timedelta(minutes=spent) < lunch:
                clock += timedelta(minutes=45)
            statements.append(
                _statement(
                    employee.key, activity, "completed", clock, completion=True, duration=_duration(spent)
                )
            )
        for step in course:
            for address in step.get("addresses") or []:
                skill = address.get("skill_id")
                if isinstance(skill, int):
                    per_skill[skill] = per_skill.get(skill, 0.0) + float(step["minutes"])
    return statements, per_skill


def skills_check(
    seed: int,
    employee: Employee,
    gaps: Sequence[Gap],
    first_seen: Mapping[int, datetime],
    learned: Mapping[int, tuple[float, date, date]],
    end: datetime,
) -> list[Checked]:
    """The quarter's skill tests of one employee: for each of `gaps` (their role's skills that have a
    test, as the gap model sees them once the quarter's learning is in) still below its target that
    they spent MINUTES_ON_SKILL or more of their Learning Days on, a test one to two and a half weeks
    after the last of those days. Without evidence of the skill they first took the unit's entry test
    on the first such day (one or two levels below the target). `first_seen`: the day of the first
    assessment per skill; `learned`: minutes, first and last day per skill."""
    found: list[Checked] = []
    for gap in sorted(gaps, key=lambda g: g.skill_id):
        minutes, first, last = learned.get(gap.skill_id, (0.0, None, None))
        if gap.gap <= 0 or minutes < MINUTES_ON_SKILL or first is None or last is None:
            continue
        rng = random.Random(f"{seed}|{employee.key}|{gap.skill_id}")
        target = gap.required
        if gap.evidence_count:
            level = float(min(target - 1, round(gap.current)))
        else:
            level = float(target - (1 if rng.random() < 0.6 else 2))
            entry = datetime.combine(first, time(9, rng.randint(0, 30)), tzinfo=UTC)
            found.append(Checked(employee, gap.skill_id, level, "test", entry))
        at = datetime.combine(last, time(rng.randint(9, 16), rng.randint(0, 59)), tzinfo=UTC)
        at += timedelta(days=rng.randint(7, 17))
        if at >= end:
            continue
        # one level below, most reach the target; two below, some who have been working on it for
        # half a year or more; the others move up a level towards it, or stay one below
        below = target - level
        since = first_seen.get(gap.skill_id)
        long_known = since is not None and at - since >= timedelta(days=LONG_KNOWN_DAYS)
        chance = 0.95 if minutes >= MINUTES_TO_CLOSE else 0.65
        chance = chance if below <= CLOSE_GAP else 0.35 if below <= 2 and long_known else 0.0
        after = float(target) if rng.random() < chance else min(target - 1.0, level + 1)
        found.append(Checked(employee, gap.skill_id, after, "test" if rng.random() < 0.7 else "manager", at))
    return found

"""Twelve weeks of learning at the demo company, so that reports and the dashboard have something to show.

Made up, seeded and written once: learners pick units that teach their open gaps, try them, finish
most, rate some and take a test on some; a few dismiss one. Managers later assess some of the skills
learned (Kirkpatrick level 3). On the company's Learning Days they work through the paths planned
for them (service.demo.learning_day_history), and every other employee gets a path for now. The
statements go through the same validation as `POST /v1/events`; a tenant that has events already
gets none of this again.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from models import events_repository as events_repo
from models import learning_repository as learning
from models import people_repository as people
from models import reports_repository as reports_repo
from models import repositories as repo
from models import taxonomy_repository as tax
from models.db import transaction
from models.tables import CatalogItem, Employee
from recommender.gaps import Gap
from recommender.paths import Budget
from service.core.activities import activity_id
from service.core.runtime import Runtime
from service.demo import learning_day_history as day_history
from service.events.recording import ACCEPTED, record_statements
from service.events.xapi import ADL, VERB_IRIS
from service.paths.planning import content_check, employee_plan, plan_path, store_path
from service.people.employees import AssessmentInput, add_assessments
from service.people.gaps import population_gaps
from service.skills.roles import skill_label

SEED = 20260901
START = datetime(2026, 9, 1, tzinfo=UTC)  # a Tuesday; twelve weeks to 2026-11-23
WEEKS = 12
END = START + timedelta(weeks=WEEKS)
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:leerpad:demo:activity")
RATED_IRI = next(iri for iri, verb in VERB_IRIS.items() if verb == "rated")
DISMISSED_IRI = next(iri for iri, verb in VERB_IRIS.items() if verb == "dismissed")
MIN_TAG_CONFIDENCE = 0.6
MAX_ITEM_MINUTES = 120  # what people finish between their other work; long courses stay in paths
PATH_WEEKS = 6


@dataclass(frozen=True)
class FollowUp:
    """A manager's assessment some weeks after the employee learned the skill."""

    employee: Employee
    skill_label: str
    level: float
    observed_at: datetime


def _statement(
    employee: str, item: CatalogItem, verb_iri: str, when: datetime, **result: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(
            uuid.uuid5(
                NAMESPACE, f"{employee}|{item.source}|{item.external_id}|{verb_iri}|{when.isoformat()}"
            )
        ),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://academy.fietsjes.example", "name": employee},
        },
        "verb": {"id": verb_iri, "display": {"en-US": verb_iri.rsplit("/", 1)[-1].rsplit(":", 1)[-1]}},
        "object": {"objectType": "Activity", "id": activity_id(item.source, item.external_id)},
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if result:
        body["result"] = result
    return body


def _minutes(value: float) -> str:
    return f"PT{max(1, round(value))}M"


def _moment(rng: random.Random, week: int) -> datetime:
    return START + timedelta(
        weeks=week, days=rng.randint(0, 4), hours=rng.randint(8, 16), minutes=rng.randint(0, 59)
    )


def simulate(
    employees: Sequence[Employee],
    gaps: dict[int, list[Gap]],
    teachers: dict[int, list[CatalogItem]],
    labels: dict[int, str],
) -> tuple[list[dict[str, Any]], list[FollowUp]]:
    """The statements and the follow-up assessments of twelve weeks, the same on every run."""
    rng = random.Random(SEED)
    statements: list[dict[str, Any]] = []
    follow_ups: list[FollowUp] = []
    for employee in employees:
        open_gaps = [g for g in gaps.get(employee.id, []) if g.gap > 0 and teachers.get(g.skill_id)]
        if not open_gaps or rng.random() < 0.12:  # some never start
            continue
        sessions_per_week = rng.choice((0.4, 0.7, 1.0, 1.5))
        done: set[int] = set()
        for week in range(WEEKS):
            count = sum(1 for _ in range(3) if rng.random() < sessions_per_week / 3)
            for _ in range(count):
                gap = rng.choices(open_gaps, weights=[g.priority + 0.05 for g in open_gaps])[0]
                choices = [item for item in teachers[gap.skill_id] if item.id not in done]
                if not choices:
                    continue
                item = rng.choice(choices[:4])
                done.add(item.id)
                when = _moment(rng, week)
                if rng.random() < 0.07:
                    statements.append(_statement(employee.key, item, DISMISSED_IRI, when))
                    continue
                first_look = min(item.minutes, rng.randint(4, 12))
                statements.append(
                    _statement(employee.key, item, f"{ADL}experienced", when, duration=_minutes(first_look))
                )
                if rng.random() > 0.72:
                    continue
                finished = when + timedelta(days=rng.randint(0, 5), hours=1)
                spent = min(240.0, item.minutes * rng.uniform(0.8, 1.2))
                statements.append(
                    _statement(
                        employee.key,
                        item,
                        f"{ADL}completed",
                        finished,
                        completion=True,
                        duration=_minutes(spent),
                    )
                )
                if rng.random() < 0.5:
                    score = round(min(1.0, rng.betavariate(5, 2)), 2)
                    statements.append(
                        _statement(
                            employee.key,
                            item,
                            RATED_IRI,
                            finished + timedelta(minutes=2),
                            score={"scaled": score},
                        )
                    )
                if rng.random() < 0.35:
                    passed = rng.random() < 0.75
                    score = round(rng.uniform(0.7, 1.0) if passed else rng.uniform(0.3, 0.6), 2)
                    verb = f"{ADL}passed" if passed else f"{ADL}failed"
                    statements.append(
                        _statement(
                            employee.key,
                            item,
                            verb,
                            finished + timedelta(minutes=20),
                            success=passed,
                            score={"scaled": score},
                        )
                    )
                assessed = finished + timedelta(days=rng.randint(14, 30))
                if rng.random() < 0.5 and assessed < END:
                    level = min(5.0, round(gap.current) + rng.choice((0, 1, 1, 2)))
                    follow_ups.append(FollowUp(employee, labels[gap.skill_id], level, assessed))
    return statements, follow_ups


def load_activity(runtime: Runtime, tenant: str) -> Iterator[str]:
    """Store the demo's learning events, follow-up assessments and paths, once per tenant."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        if events_repo.has_events(session, tenant_id):
            yield f"{'learning':14} events already stored: nothing added"
            return
        employees = list(people.list_employees(session, tenant_id))
        has_content = content_check(runtime, tenant, session, tenant_id)
        gaps = population_gaps(session, tenant_id, employees, START, has_content)
        skill_ids = {g.skill_id for own in gaps.values() for g in own}
        tags = reports_repo.item_skill_confidences(session, tenant_id, skill_ids)
        items = reports_repo.items_by_id(session, tenant_id, tags)
        teachers: dict[int, list[CatalogItem]] = {}
        for item_id, skills in sorted(tags.items()):
            for skill_id, confidence in skills.items():
                if confidence >= MIN_TAG_CONFIDENCE and items[item_id].minutes <= MAX_ITEM_MINUTES:
                    teachers.setdefault(skill_id, []).append(items[item_id])
        for skill_id in teachers:
            teachers[skill_id].sort(key=lambda item: (-tags[item.id][skill_id], item.id))
        labels = {
            s.id: skill_label(s) for s in tax.get_skills(session, tenant_id, sorted(skill_ids)).values()
        }
        statements, follow_ups = simulate(employees, gaps, teachers, labels)
        now = max(datetime.now(UTC), END)
        pending = sorted(statements, key=lambda s: str(s["timestamp"]))
        accepted = rejected = 0

        def record_until(moment: datetime | None) -> None:
            """Store the pending statements from before `moment` (None: all of them)."""
            nonlocal pending, accepted, rejected
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "~"
            due = [s for s in pending if s["timestamp"] < stamp]
            pending = [s for s in pending if s["timestamp"] >= stamp]
            report = record_statements(session, tenant_id, due, now)
            accepted += len(report.ids(ACCEPTED))
            rejected += len(report.rejected)

        snapshot = runtime.snapshot(tenant)
        version = snapshot.manifest.version if snapshot else None
        company_days = day_history.company_days(session, tenant_id, START, END)
        course_units: dict[int, list[tuple[str, int]]] = {}  # item -> its units, in order
        for card in sorted(repo.active_unit_cards(session, tenant_id), key=lambda c: (c.item_id, c.position)):
            unit = activity_id(card.source, card.external_id, card.position)
            course_units.setdefault(card.item_id, []).append((unit, card.minutes))
        learned: dict[int, dict[int, tuple[float, date, date]]] = {}  # employee -> skill -> minutes, days
        day_events = 0
        for n, day in enumerate(company_days):
            at = day_history.planning_moment(day)
            until = day_history.planning_moment(company_days[n + 1]) if n + 1 < len(company_days) else END
            record_until(at)  # the history the paths of that Monday were planned on
            paths = day_history.plan_round(
                runtime, tenant, session, tenant_id, employees, at, has_content, version
            )
            for employee in employees:
                path = paths.get(employee.id, {})
                for entry in path.get("learning_days") or []:
                    own = date.fromisoformat(entry["date"])
                    if not at.date() <= own < until.date():
                        continue
                    done, per_skill = day_history.spend_day(SEED, employee, path, own, course_units)
                    pending.extend(done)
                    day_events += len(done)
                    mine = learned.setdefault(employee.id, {})
                    for skill, minutes in per_skill.items():
                        before, first, _ = mine.get(skill, (0.0, own, own))
                        mine[skill] = (before + minutes, first, own)
            pending.sort(key=lambda s: str(s["timestamp"]))
        record_until(None)
        targets = learning.role_targets(session, tenant_id)
        asked_by = Counter(skill for e in employees for skill in targets.get(e.role_id or 0, {}))
        tested = {skill for skill, count in asked_by.items() if count >= day_history.TESTED_BY}
        first_seen: dict[tuple[int, int], datetime] = {}
        for row in learning.all_assessments(session, tenant_id):  # oldest first
            first_seen.setdefault((row.employee_id, row.skill_id), row.observed_at)
        now_gaps = population_gaps(session, tenant_id, employees, END, has_content)
        checked = [
            c
            for employee in employees
            for c in day_history.skills_check(
                SEED,
                employee,
                [g for g in now_gaps.get(employee.id, []) if g.skill_id in tested],
                {skill: at for (e, skill), at in first_seen.items() if e == employee.id},
                learned.get(employee.id, {}),
                END,
            )
        ]
        checked_labels = {
            s.id: skill_label(s)
            for s in tax.get_skills(session, tenant_id, sorted({c.skill_id for c in checked})).values()
        }
        for c in checked:
            evidence = [AssessmentInput(checked_labels[c.skill_id], c.level, c.source, c.observed_at)]
            add_assessments(session, tenant_id, c.employee, evidence, self_only=False)
        for follow_up in follow_ups:
            evidence = [
                AssessmentInput(follow_up.skill_label, follow_up.level, "manager", follow_up.observed_at)
            ]
            add_assessments(session, tenant_id, follow_up.employee, evidence, self_only=False)
        at_target = sum(
            1 for c in checked if c.level >= targets.get(c.employee.role_id or 0, {}).get(c.skill_id, 6)
        )
    yield f"{'learning':14} {accepted} events, {rejected} rejected, {len(follow_ups)} follow-up assessments"
    yield (
        f"{'past days':14} {len(company_days)} Learning Days, {day_events} events on them, "
        f"{len(checked)} skill tests after them ({at_target} at the role's target)"
    )
    yield from _demo_paths(runtime, tenant)


def _demo_paths(runtime: Runtime, tenant: str) -> Iterator[str]:
    """A path for every other employee, in their own weekly minutes, as their LMS would have asked."""
    made = 0
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        now = datetime.now(UTC)
        snapshot = runtime.snapshot(tenant)
        has_content = content_check(runtime, tenant, session, tenant_id)
        for employee in list(people.list_employees(session, tenant_id))[::2]:
            role = people.get_role_by_id(session, tenant_id, employee.role_id or 0)
            if role is None:
                continue
            minutes = int((employee.preferences or {}).get("minutes_per_week", 60))
            request = {"minutes_per_week": minutes, "weeks": PATH_WEEKS}
            budget = Budget(minutes, PATH_WEEKS)
            plan = employee_plan(session, tenant_id, employee, role, budget, None, now, has_content)
            planned = plan_path(runtime, tenant, session, tenant_id, plan, now)
            store_path(
                session,
                tenant_id,
                employee,
                request,
                planned,
                snapshot.manifest.version if snapshot else None,
            )
            made += 1
    yield f"{'paths':14} {made} employees have a path"

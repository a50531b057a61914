"""Path quality: what an L&D professional checks before signing off a path, measured on every path
of the bundled demo company (each employee with their stored preferences, no request fields).

Printed figures (targets in brackets):
- share of steps of 5 to 15 minutes (micro-units), and of steps shorter than 5;
- budget violations: a step longer than minutes_per_week, a week's own time over it, a Learning Day
  over its minutes, a path over the total [0];
- steps whose evidence names a skill the step addresses [1.0];
- language match: steps in the learner's first language, or marked language_fallback [1.0];
- English steps for a Dutch learner on a gap that Dutch content teaches [0];
- distinct paths per role: distinct step lists / employees of the role [1.0];
- empty paths while some gap has content [0];
- the learner's largest gap (first by priority, with content) worked on by a step, unless the path says
  they did its content, or it is all in languages they did not choose or held at a set time longer than
  their week [1.0];
- courses entered past a module: an item whose steps skip one of its modules or start after its first
  (a module may be left out because the learner did it or it teaches nothing of their gaps) [counted].

Run: .venv/bin/python bench/path_quality.py [LEERPAD_HOME]  (a home with the demo loaded; without
one, the demo is loaded into a temporary home first). tests/bench/test_path_quality.py runs it.
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from fastapi.testclient import TestClient

from models import repositories as repo
from models.db import transaction
from service.app import create_app
from service.core.runtime import Runtime
from service.core.settings import Settings
from service.demo.loader import DEMO_DIR, load_demo

MICRO = (5, 15)


@dataclass(frozen=True)
class PathQuality:
    paths: int
    steps: int
    micro_share: float
    under_five_share: float
    budget_violations: int
    evidence_share: float
    language_match: float
    english_for_dutch_with_dutch: int
    distinct_per_role: dict[str, float]
    empty_with_content: int
    largest_gap_worked_on: float
    largest_gap_left: list[str]  # the employees whose largest gap has no step, and that gap
    courses_entered_past_a_module: int


# Reasons a path gives for leaving a gap with content alone that the learner, not the plan, decides.
LEARNER_BOUND = ("all_done", "no_language", "too_long")


def _largest_gap_worked_on(path: dict[str, Any], gaps: Sequence[dict[str, Any]]) -> bool:
    """Whether the first gap by priority that has content has a step, or a reason bound to the learner."""
    first = next((g for g in gaps if g["gap"] > 0 and g["has_content"]), None)
    if first is None:
        return True
    if any(a["skill_id"] == first["skill_id"] for step in path["steps"] for a in step["addresses"]):
        return True
    return any(
        g["skill_id"] == first["skill_id"] and g["reason"] in LEARNER_BOUND for g in path["uncovered_gaps"]
    )


def _courses_entered_past_a_module(path: dict[str, Any]) -> int:
    """Items whose steps (unit numbers from the activity id's #unit-N) skip a module or start late."""
    numbers: dict[int, set[int]] = defaultdict(set)
    for step in path["steps"]:
        activity = step.get("activity_id") or ""
        if "#unit-" in activity:
            numbers[step["item_id"]].add(int(activity.rsplit("-", 1)[1]))
    return sum(min(n) > 0 or max(n) - min(n) + 1 != len(n) for n in numbers.values())


def measure(
    paths: Sequence[dict[str, Any]],
    employees: Sequence[dict[str, Any]],
    gaps: Sequence[Sequence[dict[str, Any]]],
) -> PathQuality:
    """The figures over `paths` (API answers, one per employee, in the same order) and each
    employee's ranked `gaps` (GET /v1/employees/{id}/gaps)."""
    steps = [step for path in paths for step in path["steps"]]
    micro = sum(MICRO[0] <= step["minutes"] <= MICRO[1] for step in steps)
    short = sum(step["minutes"] < MICRO[0] for step in steps)
    violations = 0
    evidenced = 0
    matched = 0
    english_for_dutch = 0
    empty = 0
    by_role: dict[str, set[tuple[tuple[int, int], ...]]] = defaultdict(set)
    count_by_role: dict[str, int] = defaultdict(int)
    for path, employee in zip(paths, employees, strict=True):
        per_week: dict[int, int] = defaultdict(int)
        per_day: dict[str, int] = defaultdict(int)  # a Learning Day's steps count against that day
        for step in path["steps"]:
            if step.get("learning_day"):
                per_day[step["learning_day"]] += step["minutes"]
            else:
                per_week[step["week"]] += step["minutes"]
            violations += step["minutes"] > path["minutes_per_week"]
            named = {e["skill"] for e in step.get("evidence", [])}
            evidenced += bool(named & {a["skill"] for a in step["addresses"]})
            first = employee.get("language", "nl")
            matched += step["language"] == first or bool(step.get("language_fallback"))
            english_for_dutch += (
                first == "nl" and step["language"] != "nl" and not step.get("language_fallback")
            )
        violations += sum(minutes > path["minutes_per_week"] for minutes in per_week.values())
        day_budget = {day["date"]: day["minutes"] for day in path.get("learning_days", [])}
        violations += sum(minutes > day_budget.get(day, 0) for day, minutes in per_day.items())
        violations += path["total_minutes"] > path["budget_minutes"]
        if not path["steps"] and any(
            g["reason"] not in ("no_content", "all_done") for g in path["uncovered_gaps"]
        ):
            empty += 1
        role = employee.get("target_role") or employee["role"]
        by_role[role].add(tuple((s["unit_id"], s.get("part", 1)) for s in path["steps"]))
        count_by_role[role] += 1
    total = max(1, len(steps))
    return PathQuality(
        paths=len(paths),
        steps=len(steps),
        micro_share=micro / total,
        under_five_share=short / total,
        budget_violations=violations,
        evidence_share=evidenced / total,
        language_match=matched / total,
        english_for_dutch_with_dutch=english_for_dutch,
        distinct_per_role={role: len(by_role[role]) / count_by_role[role] for role in sorted(by_role)},
        empty_with_content=empty,
        largest_gap_worked_on=sum(
            _largest_gap_worked_on(path, ranked) for path, ranked in zip(paths, gaps, strict=True)
        )
        / max(1, len(paths)),
        largest_gap_left=[
            f"{employee['id']} ({ranked[0]['skill'] if ranked else '-'})"
            for path, employee, ranked in zip(paths, employees, gaps, strict=True)
            if not _largest_gap_worked_on(path, ranked)
        ],
        courses_entered_past_a_module=sum(_courses_entered_past_a_module(path) for path in paths),
    )


def demo_paths(
    runtime: Runtime, tenant: str = "demo"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Every demo employee's path, asked with no request fields (their preferences are the defaults),
    and their ranked gaps."""
    employees = yaml.safe_load((DEMO_DIR / "people" / "employees.yaml").read_text(encoding="utf-8"))[
        "employees"
    ]
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        _, key = repo.create_api_key(session, row, "lms", label="bench/path_quality.py")
    paths, gaps = [], []
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(runtime=runtime)) as client:
        for employee in employees:
            response = client.post(f"/v1/employees/{employee['id']}/path", json={}, headers=headers)
            response.raise_for_status()
            paths.append(response.json())
            ranked = client.get(f"/v1/employees/{employee['id']}/gaps", headers=headers)
            ranked.raise_for_status()
            gaps.append(ranked.json()["gaps"])
    return paths, employees, gaps


def report(quality: PathQuality) -> str:
    distinct = ", ".join(f"{role} {share:.2f}" for role, share in quality.distinct_per_role.items())
    return "\n".join(
        [
            f"paths {quality.paths}, steps {quality.steps}",
            f"steps of 5-15 min          {quality.micro_share:.2f}  (under 5 min: {quality.under_five_share:.2f})",
            f"budget violations          {quality.budget_violations}  (limit 0)",
            f"steps with named evidence  {quality.evidence_share:.2f}  (target 1.00)",
            f"language match             {quality.language_match:.2f}  (target 1.00)",
            f"unmarked foreign steps for Dutch learners  {quality.english_for_dutch_with_dutch}  (limit 0)",
            f"empty paths with content   {quality.empty_with_content}  (limit 0)",
            f"distinct paths per role    {distinct}",
            f"largest gap worked on      {quality.largest_gap_worked_on:.2f}  (target 1.00)"
            + (f"; left: {', '.join(quality.largest_gap_left)}" if quality.largest_gap_left else ""),
            f"courses entered past a module  {quality.courses_entered_past_a_module}",
        ]
    )


def main(argv: Sequence[str]) -> None:
    home = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="leerpad-bench-"))
    runtime = Runtime(
        Settings(home=home, rate_limit_per_minute=10**9, rate_limit_burst=10**9, run_jobs_in_api=False)
    )
    runtime.migrate()
    if not argv:
        for line in load_demo(runtime, "demo"):
            print(line, file=sys.stderr)
    paths, employees, gaps = demo_paths(runtime)
    print(report(measure(paths, employees, gaps)))
    runtime.close()


if __name__ == "__main__":
    main(sys.argv[1:])

"""The bundled demo: a fictional Dutch scale-up's taxonomy, catalog, roles, employees, assessments,
L&D figures and twelve weeks of learning (service.demo.activity).

Loading it twice changes nothing: catalogs and the taxonomy are imported incrementally, roles are
replaced by the same roles, and assessments are only added for employees seen for the first time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from ingest.reembed import reembed_tenant
from ingest.taxonomy import read_default_taxonomy
from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from service.core.runtime import Runtime
from service.demo.activity import load_activity
from service.demo.badges import load_badges
from service.demo.learning_days import load_learning_days
from service.demo.nudges import load_nudges
from service.people.employees import AssessmentInput, add_assessments, upsert_employee
from service.reports.figures import import_figures, read_figures_csv
from service.skills.taxonomy import import_roles, import_taxonomy, read_role_file

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
CATALOGS = (
    ("coursera", "catalog/coursera", "coursera"),
    ("goodhabitz", "catalog/goodhabitz/goodhabitz_export.csv", "goodhabitz"),
    ("goodhabitz", "catalog/goodhabitz/goodhabitz_export_en.xlsx", "goodhabitz-en"),
    ("wiki", "catalog/wiki", "wiki"),
    ("csv", "catalog/lms_export.csv", "lms"),
)


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 9, tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def load_employees(runtime: Runtime, tenant: str, path: Path) -> tuple[int, int]:
    """Employees with their assessments; returns (employees, assessments added)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    added = 0
    entries = data["employees"]
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        for entry in entries:
            is_new = people.get_employee(session, tenant_id, entry["id"]) is None
            employee = upsert_employee(
                session,
                tenant_id,
                entry["id"],
                role=entry.get("role"),
                target_role=entry.get("target_role"),
                team=entry.get("team"),
                language=entry.get("language", "nl"),
                preferences=entry.get("preferences") or {},
            )
            if is_new:
                evidence = [
                    AssessmentInput(
                        a["skill"], float(a["level"]), str(a["source"]), _when(a.get("observed_at"))
                    )
                    for a in entry.get("assessments") or []
                ]
                added += len(add_assessments(session, tenant_id, employee, evidence, self_only=False))
    return len(entries), added


def load_demo(
    runtime: Runtime, tenant: str, demo_dir: Path = DEMO_DIR, progress: bool = False
) -> Iterator[str]:
    """Load everything, yielding a line per step. With `progress`, bars on stderr show the step
    under way and the embedding of each catalog (a first load embeds about a thousand texts); print
    the lines with tqdm.write then, so that they do not break the bars."""
    steps = _steps(runtime, tenant, demo_dir, progress)
    with tqdm(total=len(steps), desc="demo", unit="step", disable=not progress, file=sys.stderr) as bar:
        for name, step in steps:
            bar.set_postfix_str(name)
            yield from step()
            bar.update()


Step = tuple[str, Callable[[], Iterable[str]]]


def _steps(runtime: Runtime, tenant: str, demo_dir: Path, progress: bool) -> list[Step]:
    def taxonomy() -> Iterator[str]:
        report = import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
        yield f"{'taxonomy':14} skills created {report.skills_created:4} unchanged {report.skills_unchanged:4}"

    def catalog(kind: str, path: Path, source: str) -> Iterator[str]:
        # The bundled catalogs are the whole truth of their sources: a newer demo may drop items.
        result = runtime.ingest(tenant, kind, path, source_name=source, allow_retire=True, progress=progress)
        yield (
            f"{source:14} created {result.created:4} updated {result.updated:4} unchanged {result.unchanged:4} "
            f"rejected {result.rejected_total:3} embedded {result.embedded:4}"
        )

    def employees() -> Iterator[str]:
        count, assessments = load_employees(runtime, tenant, demo_dir / "people" / "employees.yaml")
        yield f"{'employees':14} {count} employees, {assessments} new assessments"

    def figures() -> Iterator[str]:
        stored = import_figures(runtime, tenant, read_figures_csv(demo_dir / "people" / "ld_figures.csv"))
        yield f"{'L&D figures':14} {stored} new"

    def vectors() -> Iterator[str]:
        # A home made with another encoder (the default before 2026-12-04 was all-MiniLM-L6-v2): an
        # index never mixes models, so vectors of the old one are re-made before anything is imported.
        with transaction(runtime.sessions) as session:
            row = repo.get_tenant(session, tenant)
            stale = repo.embedding_models_in_use(session, row.id) - {runtime.settings.model} if row else set()
        if not stale:
            yield f"{'vectors':14} all made with {runtime.settings.model}"
            return
        settings = runtime.settings
        report = reembed_tenant(
            runtime.sessions,
            runtime.encoder,
            settings.model,
            settings.index_root,
            tenant,
            only_stale=True,
            progress=progress,
        )
        runtime.announce(tenant)
        yield f"{'vectors':14} {report.units} units and {report.skills} skills re-embedded with {report.model} (were {', '.join(sorted(stale))})"

    return [
        ("vectors", vectors),
        ("taxonomy", taxonomy),
        *[
            (source, partial(catalog, kind, demo_dir / relative, source))
            for kind, relative, source in CATALOGS
        ],
        ("roles", lambda: import_roles(runtime, tenant, read_role_file(demo_dir / "people" / "roles.yaml"))),
        ("employees", employees),
        ("L&D figures", figures),
        # the Learning Days first: the simulated history plans paths with them and learns on them
        ("learning days", lambda: load_learning_days(runtime, tenant)),
        ("learning", lambda: load_activity(runtime, tenant)),
        ("badges", lambda: load_badges(runtime, tenant)),
        ("nudges", lambda: load_nudges(runtime, tenant)),
    ]

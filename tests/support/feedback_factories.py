"""Synthetic feedback written through the repositories: a small catalog, employees, weekly paths
with their impressions, and the xAPI events that followed. Seeded, so every run writes the same.

What employees "really" want is a function of a unit's ranking features; the rules weigh `format`
at 0.05 of 1, so a preference that follows the format is one a learned model can find and the
rules miss.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from models import events_repository as events_repo
from models import path_repository as paths_repo
from models import repositories as repo
from models.db import transaction
from models.tables import CatalogItem, LearningPath, MicroUnit
from recommender.ranking import FEATURES
from service.core.activities import activity_id
from service.core.runtime import Runtime
from service.people.employees import upsert_employee

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
LATER = START + timedelta(weeks=30)  # every 28-day window of the data below has ended
ADL = "http://adlnet.gov/expapi/verbs/"
SEED = 7

Preference = Callable[[int, Mapping[str, float]], float]  # (week, features) -> chance of completing


def likes_format(week: int, features: Mapping[str, float]) -> float:
    """Completes units in a liked format, whatever their relevance."""
    return 1.0 / (1.0 + math.exp(-(-1.0 + 8.0 * (features["format"] - 0.5))))


def dislikes_format(week: int, features: Mapping[str, float]) -> float:
    return 1.0 - likes_format(week, features)


def unrelated(week: int, features: Mapping[str, float]) -> float:
    return 0.3


@dataclass(frozen=True)
class Unit:
    unit_id: int
    item_id: int
    position: int
    source: str
    external_id: str


def add_catalog(runtime: Runtime, tenant: str, items: int = 10, units_per_item: int = 1) -> list[Unit]:
    """Items (with no skills, so real paths never show them) of `units_per_item` units each."""
    made = []
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        for number in range(items):
            external_id = f"synthetic-{number}-{uuid.uuid4().hex[:6]}"
            item = CatalogItem(
                tenant_id=tenant_id,
                source="lms",
                kind="csv",
                external_id=external_id,
                title=f"Unit {number}",
                description="synthetic",
                url=f"https://lms.example/{external_id}",
                language="en",
                minutes=10 * units_per_item,
                format="video",
                content_hash="0" * 64,
                units=[
                    MicroUnit(
                        tenant_id=tenant_id,
                        position=position,
                        title=f"Part {position}",
                        text="synthetic",
                        minutes=10,
                        text_hash="0" * 64,
                    )
                    for position in range(units_per_item)
                ],
            )
            session.add(item)
            session.flush()
            made += [Unit(unit.id, item.id, unit.position, "lms", external_id) for unit in item.units]
    return made


def add_feedback(
    runtime: Runtime,
    tenant: str,
    units: list[Unit],
    preference: Preference,
    *,
    employees: int = 20,
    weeks: int = 10,
    per_path: int = 6,
    seed: int = SEED,
    start: datetime = START,
) -> int:
    """Weekly paths for `employees` employees (each showing `per_path` of `units` with random features)
    and the events that followed: completed with the chance `preference` gives, else sometimes
    failed. Returns the impressions written."""
    rng = np.random.default_rng(seed)
    written = 0
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        events: list[dict[str, object]] = []
        for number in range(employees):
            employee = upsert_employee(
                session,
                tenant_id,
                employee_key(number, seed),
                role=None,
                target_role=None,
                team=None,
                language="en",
                preferences={},
            )
            for week in range(weeks):
                shown_at = start + timedelta(weeks=week, minutes=10 * number)
                shown = [units[int(i)] for i in rng.choice(len(units), size=per_path, replace=False)]
                impressions = []
                for unit in shown:
                    features = {name: round(float(rng.uniform()), 4) for name in FEATURES}
                    impressions.append(
                        {
                            "unit_id": unit.unit_id,
                            "item_id": unit.item_id,
                            "skill_id": 0,
                            "features": features,
                        }
                    )
                    if rng.random() < preference(week, features):
                        verb = "completed"
                    elif rng.random() < 0.3:
                        verb = "failed"
                    else:
                        continue
                    at = shown_at + timedelta(days=float(rng.uniform(0.5, 5)))
                    events.append(event_row(tenant_id, employee.id, unit, verb, at))
                paths_repo.save_path(
                    session,
                    LearningPath(
                        tenant_id=tenant_id,
                        path_key=uuid.uuid4().hex,
                        employee_id=employee.id,
                        request={},
                        response={},
                        model_version="rules-1",
                        impressions=impressions,
                        created_at=shown_at,
                    ),
                )
                written += len(impressions)
        events_repo.insert_new_events(session, events)
    return written


def employee_key(number: int, seed: int = SEED) -> str:
    return f"emp-{number:03d}-{seed}"


def event_row(
    tenant_id: int, employee_id: int, unit: Unit, verb: str, at: datetime, whole_item: bool = False
) -> dict[str, object]:
    """A stored learning event about the unit (or, with `whole_item`, about its whole item)."""
    target = activity_id(unit.source, unit.external_id, None if whole_item else unit.position)
    return {
        "tenant_id": tenant_id,
        "statement_id": str(uuid.uuid4()),
        "employee_id": employee_id,
        "verb": verb,
        "verb_iri": ADL + verb,
        "activity_id": target,
        "item_id": unit.item_id,
        "unit_id": None if whole_item else unit.unit_id,
        "occurred_at": at,
        "stored_at": at,
        "statement": {},
    }

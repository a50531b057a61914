"""An employee's learning events as the model reads them: evidence for the gaps, history for paths."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from sqlalchemy.orm import Session

from models import events_repository as events_repo
from models import reports_repository as reports_repo
from models.tables import Employee
from recommender.feedback import (
    COMPLETION_VERBS,
    DISMISSED_VERBS,
    DONE_VERBS,
    TEST_VERBS,
    History,
    ItemEvent,
    evidence_from_events,
    history_from_events,
)
from recommender.gaps import Evidence
from service.core.activities import activity_id


class NamedActivity(Protocol):
    """An event row with what tells a statement about a whole item from one about a unit."""

    @property
    def unit_id(self) -> int | None: ...
    @property
    def activity_id(self) -> str: ...
    @property
    def item_url(self) -> str | None: ...
    @property
    def item_source(self) -> str: ...
    @property
    def item_external_id(self) -> str: ...


def about_unit(row: NamedActivity) -> bool:
    """Whether the statement named a unit rather than the whole item; a unit a re-ingest removed
    leaves `unit_id` empty, so the activity id decides."""
    whole = {row.item_url, activity_id(row.item_source, row.item_external_id)}
    return row.unit_id is not None or row.activity_id not in whole


def _item_event(row: events_repo.ItemEventRow) -> ItemEvent:
    return ItemEvent(row.verb, row.item_id, row.unit_id, about_unit(row), row.item_level, row.occurred_at)


def item_events(
    session: Session, tenant_id: int, employee: Employee, verbs: Collection[str]
) -> list[ItemEvent]:
    return [_item_event(row) for row in events_repo.item_events_of(session, tenant_id, employee.id, verbs)]


def _taught_skills(session: Session, tenant_id: int, item_ids: Collection[int]) -> dict[int, list[int]]:
    """item id -> the skills it teaches (tags L&D rejected teach nothing), read as plain rows."""
    return reports_repo.taught_skills_of_items(session, tenant_id, item_ids)


def event_evidence(session: Session, tenant_id: int, employee: Employee) -> dict[int, list[Evidence]]:
    """skill id -> evidence from the employee's test results and completions, through the items' tags."""
    events = item_events(session, tenant_id, employee, TEST_VERBS | COMPLETION_VERBS)
    skills = _taught_skills(session, tenant_id, {event.item_id for event in events})
    return evidence_from_events(events, skills)


def event_evidence_by_employee(
    session: Session, tenant_id: int, only: Mapping[int, Collection[int]] | None = None
) -> dict[int, dict[int, list[Evidence]]]:
    """`event_evidence` for every employee of the tenant at once (employee id -> skill id -> evidence);
    with `only` (employee id -> skills), for those employees and skills alone."""
    rows = events_repo.evidence_events_by_employee(session, tenant_id, TEST_VERBS | COMPLETION_VERBS)
    events = {employee_id: own for employee_id, own in rows.items() if only is None or employee_id in only}
    skills = _taught_skills(session, tenant_id, {e.item_id for own in events.values() for e in own})
    return {
        employee_id: evidence_from_events(own, skills, None if only is None else only[employee_id])
        for employee_id, own in events.items()
    }


def learning_history(session: Session, tenant_id: int, employee: Employee) -> History:
    """The items and units the employee finished or dismissed, for the ranking to leave out."""
    return history_from_events(item_events(session, tenant_id, employee, DONE_VERBS | DISMISSED_VERBS))

"""What a validated LTI launch shows, decided once here for the router: who the user is to Leerpad
(a learner, or course staff who read the team report), which employee a learner is, their path,
and what a deep link placed in a course points at.

A learner's employee is found through the identity mapping of xAPI agents (the LMS names the user
by issuer and `sub`, as its statements do: an account on the issuer's home page), so a launch and
the statements the same LMS sends find the same employee."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pylti1p3.roles import DesignerRole, StaffRole, StudentRole, TeacherRole
from sqlalchemy.orm import Session

from models import lti_repository as lti_repo
from models import repositories as repo
from models.repositories import UnitCard
from models.tables import Employee
from recommender.catalog_columns import step_title
from service.core.activities import activity_id, parse_activity_id, unit_url
from service.core.runtime import Runtime
from service.events.actors import IdentityInputError
from service.events.feedback import learning_history
from service.events.identities import employee_for_actor
from service.http.deps import Caller
from service.paths.planning import budget_for, content_check, employee_plan, plan_path, store_path
from service.people.employees import role_to_reach
from service.people.visibility import shows_gap_scores
from service.reports.schemas import GapReport
from service.reports.team_reports import check_filters, gap_report

LEARNER = "learner"
STAFF = "staff"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
LIS = "https://purl.imsglobal.org/spec/lti/claim/lis"
PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
# The custom parameters a deep link carries (service/lti/router.py writes them into the content item).
TARGET_PARAM = "leerpad_target"
ACTIVITY_PARAM = "leerpad_activity"
TARGET_PATH = "path"
TARGET_UNIT = "unit"
UNIT_SEARCH_LIMIT = 20


def audience(claims: Mapping[str, Any]) -> str | None:
    """STAFF for an instructor, administrator or content developer (of the course, else of the
    institution), LEARNER for a learner; None for anyone else (a mentor, a guest)."""
    if TeacherRole(claims).check() or DesignerRole(claims).check() or StaffRole(claims).check():
        return STAFF
    if StudentRole(claims).check():
        return LEARNER
    return None


def language(claims: Mapping[str, Any]) -> str:
    """Dutch when the launch's locale is Dutch, else English."""
    presentation = claims.get(PRESENTATION)
    locale = presentation.get("locale") if isinstance(presentation, Mapping) else None
    locale = locale or claims.get("locale") or ""
    return "nl" if str(locale).lower().startswith("nl") else "en"


def actors(claims: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The xAPI agents the LTI user may be known as: their `sub` on the issuer, and their
    lis person_sourcedid (the SIS id, which an HR export often uses) when the LMS sends one."""
    names = [str(claims.get("sub") or "")]
    lis = claims.get(LIS)
    if isinstance(lis, Mapping) and lis.get("person_sourcedid"):
        names.append(str(lis["person_sourcedid"]))
    issuer = str(claims.get("iss") or "")
    return [
        {"objectType": "Agent", "account": {"homePage": issuer, "name": name}}
        for name in dict.fromkeys(names)
        if name
    ]


def find_learner(session: Session, tenant_id: int, claims: Mapping[str, Any]) -> Employee | None:
    """The employee the first of the user's agents that is mapped names (service.events.identities:
    an explicit mapping, else an account name that is the employee id on a home page the company
    listed: never by the name alone, since the page shows that employee's own data)."""
    for actor in actors(claims):
        try:
            employee = employee_for_actor(session, tenant_id, actor, listed_sites_only=True)
        except IdentityInputError:  # an agent the mapping cannot read (an issuer that is no web URL)
            continue
        if employee is not None:
            return employee
    return None


@dataclass(frozen=True)
class LearnerPath:
    """The learner's own path page: their gaps, the steps, and what they finished so far."""

    display_name: str
    role_name: str
    steps: list[dict[str, Any]]
    covered_gaps: list[dict[str, Any]]
    uncovered_gaps: list[dict[str, Any]]
    total_minutes: int
    budget_minutes: int
    finished_units: int
    finished_items: int
    show_levels: bool
    highlight: str | None = None  # the activity id of a deep-linked unit on the path
    notes: list[str] = field(default_factory=list)


def learner_path(
    runtime: Runtime, session: Session, tenant_id: int, employee: Employee, display_name: str, now: datetime
) -> LearnerPath:
    """Plan the employee's path as POST /v1/employees/{id}/path does (and store it, with its
    impressions), with gap sizes shown as the company shows them to the employee themself."""
    tenant = repo.get_tenant_by_id(session, tenant_id)
    assert tenant is not None
    role = role_to_reach(session, tenant_id, employee, None)
    budget = budget_for(employee, None, None)
    has_content = content_check(runtime, tenant.slug, session, tenant_id)
    plan = employee_plan(session, tenant_id, employee, role, budget, None, now, has_content)
    # The learner themself, as their own employee key would be: the one rule of who sees gap scores.
    as_learner = Caller(0, tenant_id, tenant.slug, "employee", employee.key)
    plan = replace(plan, show_levels=shows_gap_scores(session, as_learner))
    planned = plan_path(runtime, tenant.slug, session, tenant_id, plan, now)
    snapshot = runtime.snapshot(tenant.slug)
    request = {"via": "lti"}
    store_path(
        session, tenant_id, employee, request, planned, snapshot.manifest.version if snapshot else None
    )
    history = learning_history(session, tenant_id, employee)
    body = planned.body
    return LearnerPath(
        display_name=display_name or employee.key,
        role_name=role.name,
        steps=list(body["steps"]),
        covered_gaps=list(body["covered_gaps"]),
        uncovered_gaps=list(body["uncovered_gaps"]),
        total_minutes=int(body["total_minutes"]),
        budget_minutes=int(body["budget_minutes"]),
        finished_units=len(history.completed_units),
        finished_items=len(history.completed_items),
        show_levels=plan.show_levels,
    )


def team_gap_report(runtime: Runtime, session: Session, tenant_id: int) -> GapReport:
    """The whole company's gap report, as the dashboard shows it (groups under five suppressed)."""
    tenant = repo.get_tenant_by_id(session, tenant_id)
    assert tenant is not None
    return gap_report(runtime, session, tenant_id, tenant.slug, check_filters(session, tenant_id, None, None))


@dataclass(frozen=True)
class UnitView:
    """One catalog unit, as a deep link to it shows it."""

    title: str
    minutes: int
    url: str | None
    language: str
    activity_id: str


def unit_view(card: UnitCard) -> UnitView:
    return UnitView(
        title=step_title(card.item_title, card.unit_title),
        minutes=card.minutes,
        url=unit_url(card.url, card.anchor),
        language=card.language,
        activity_id=activity_id(card.source, card.external_id, card.position),
    )


def deep_link_target(claims: Mapping[str, Any]) -> tuple[str, str | None]:
    """(TARGET_PATH or TARGET_UNIT, the unit's activity id) of a launch through a deep link; a plain
    launch of the tool is the path."""
    custom = claims.get(CUSTOM)
    custom = custom if isinstance(custom, Mapping) else {}
    if custom.get(TARGET_PARAM) == TARGET_UNIT and custom.get(ACTIVITY_PARAM):
        return TARGET_UNIT, str(custom[ACTIVITY_PARAM])
    return TARGET_PATH, None


def linked_unit(session: Session, tenant_id: int, activity: str) -> UnitView | None:
    """The unit a deep link names, while it is in the tenant's catalog."""
    parsed = parse_activity_id(activity)
    if parsed is None:
        return None
    card = lti_repo.unit_at(session, tenant_id, *parsed)
    return unit_view(card) if card is not None else None


def search_units(session: Session, tenant_id: int, words: str) -> list[UnitView]:
    """Units whose title (or their item's) holds the words, for a course author to pick one."""
    words = " ".join(words.split())[:200]
    if not words:
        return []
    return [unit_view(card) for card in lti_repo.units_titled(session, tenant_id, words, UNIT_SEARCH_LIMIT)]

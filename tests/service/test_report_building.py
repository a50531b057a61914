"""How the company-wide reports are built fast: the population's gaps are the per-employee model's,
the dashboard's shared reads give the reports built alone, the content check is asked once per
skill, and the paused collector comes back on."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from models.tables import Assessment, CatalogItem, Employee, ItemSkill, LearningEvent, Role, RoleSkill, Skill
from service.core.collector import collector_paused
from service.core.runtime import Runtime
from service.people.gaps import employee_gaps, population_gaps
from service.reports.schemas import GapReport, ReportFilters
from service.reports.team_reports import _once_per_skill, dashboard_reports, gap_report, kpi_report

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _company(runtime: Runtime, tenant: str) -> int:
    """A role needing skills 0 and 1; evidence (assessments and a passed test) also for skill 2,
    which the role does not need, and one employee without a role."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        skills = []
        for n in range(3):
            skill = Skill(
                tenant_id=tenant_id, key=f"s{n}", origin="custom", label_en=f"s{n}", content_hash="0" * 64
            )
            session.add(skill)
            skills.append(skill)
        role = Role(tenant_id=tenant_id, key="dev", name="Dev")
        session.add(role)
        session.flush()
        session.execute(
            insert(RoleSkill),
            [
                {
                    "tenant_id": tenant_id,
                    "role_id": role.id,
                    "skill_id": skills[0].id,
                    "level": 4,
                    "importance": 1.0,
                },
                {
                    "tenant_id": tenant_id,
                    "role_id": role.id,
                    "skill_id": skills[1].id,
                    "level": 3,
                    "importance": 0.5,
                },
            ],
        )
        staff = [
            Employee(
                tenant_id=tenant_id, key=f"e{n}", role_id=role.id if n < 3 else None, team="t", language="nl"
            )
            for n in range(4)
        ]
        session.add_all(staff)
        item = CatalogItem(
            tenant_id=tenant_id,
            source="lms",
            kind="csv",
            external_id="i",
            title="Item",
            description="",
            language="nl",
            minutes=10,
            format="video",
            level="advanced",
            content_hash="0" * 64,
            declared_skills=[],
            extra={},
        )
        session.add(item)
        session.flush()
        for skill in (skills[0], skills[2]):
            session.add(
                ItemSkill(
                    tenant_id=tenant_id,
                    item_id=item.id,
                    skill_id=skill.id,
                    confidence=0.9,
                    origin="label",
                    status="auto",
                )
            )
        for n, person in enumerate(staff):
            for skill, level in ((skills[0], n), (skills[2], 5), (skills[1], 2)):
                session.add(
                    Assessment(
                        tenant_id=tenant_id,
                        employee_id=person.id,
                        skill_id=skill.id,
                        level=level,
                        source="manager",
                        observed_at=NOW - timedelta(days=30 * (n + 1)),
                    )
                )
            session.add(
                LearningEvent(
                    tenant_id=tenant_id,
                    statement_id=f"st-{n}",
                    employee_id=person.id,
                    verb="passed",
                    verb_iri="passed",
                    activity_id="urn:x",
                    item_id=item.id,
                    score_scaled=0.9,
                    occurred_at=NOW - timedelta(days=n + 1),
                    statement={},
                )
            )
    return tenant_id


def test_the_population_gaps_are_each_employees_own_gaps(runtime: Runtime, tenant: str) -> None:
    tenant_id = _company(runtime, tenant)
    with runtime.sessions() as session:

        def nothing(skill_ids: Sequence[int]) -> set[int]:
            return set()

        employees = people.list_employees(session, tenant_id)
        together = population_gaps(session, tenant_id, people.employee_rows(session, tenant_id), NOW, nothing)
        assert len(together) == 3  # the employee without a role has no gaps
        for employee in employees:
            if employee.role_id is None:
                assert employee.id not in together
                continue
            role = people.get_role_by_id(session, tenant_id, employee.role_id)
            alone = employee_gaps(session, tenant_id, employee, role, NOW, nothing, include_closed=True)
            assert together[employee.id] == alone.gaps
            assert all(gap.evidence_count >= 1 for gap in alone.gaps if gap.required == 4)


def _newcomers(runtime: Runtime, tenant_id: int, count: int) -> list[str]:
    """Employees in the role of _company's first employee, in its team, without any evidence."""
    keys = [f"new{n}" for n in range(count)]
    with transaction(runtime.sessions) as session:
        role_id = people.employee_rows(session, tenant_id)[0].role_id
        session.add_all(
            Employee(tenant_id=tenant_id, key=key, role_id=role_id, team="t", language="nl") for key in keys
        )
    return keys


def test_someone_without_evidence_has_the_gaps_of_the_model(runtime: Runtime, tenant: str) -> None:
    """The population builds the gaps of an employee with no evidence once per role: they are still
    what employee_gaps says for each such employee."""
    tenant_id = _company(runtime, tenant)
    keys = _newcomers(runtime, tenant_id, 2)
    with runtime.sessions() as session:

        def nothing(skill_ids: Sequence[int]) -> set[int]:
            return set()

        together = population_gaps(session, tenant_id, people.employee_rows(session, tenant_id), NOW, nothing)
        for key in keys:
            employee = people.get_employee(session, tenant_id, key)
            assert employee is not None and employee.role_id is not None
            role = people.get_role_by_id(session, tenant_id, employee.role_id)
            alone = employee_gaps(session, tenant_id, employee, role, NOW, nothing, include_closed=True)
            assert together[employee.id] == alone.gaps
            assert [gap.evidence_count for gap in alone.gaps] == [0, 0]


def test_the_dashboard_shows_the_reports_built_alone_and_a_new_assessment_at_once(
    runtime: Runtime, tenant: str
) -> None:
    """dashboard_reports reads employees, roles and assessments once for both reports: the same
    figures as gap_report and kpi_report, and nothing kept between requests (an assessment recorded
    just now is in the next dashboard)."""
    tenant_id = _company(runtime, tenant)
    _newcomers(runtime, tenant_id, 3)  # six people in the role: figures shown, not suppressed
    later = NOW + timedelta(hours=1)
    with runtime.sessions() as session:
        board = dashboard_reports(runtime, session, tenant_id, tenant, None, None, now=NOW)
        assert board.gaps == gap_report(runtime, session, tenant_id, tenant, ReportFilters(), now=NOW)
        assert board.kpis == kpi_report(session, tenant_id, tenant, ReportFilters(), now=NOW)
        assert (board.teams, board.roles) == (["t"], ["dev"])
    skill_id = board.gaps.heatmap.skills[0].skill_id
    with transaction(runtime.sessions) as session:
        for person in people.employee_rows(session, tenant_id):
            session.add(
                Assessment(
                    tenant_id=tenant_id,
                    employee_id=person.id,
                    skill_id=skill_id,
                    level=5,
                    source="test",
                    observed_at=NOW,
                )
            )
    with runtime.sessions() as session:
        after = dashboard_reports(runtime, session, tenant_id, tenant, None, None, now=later)
        assert after.gaps == gap_report(runtime, session, tenant_id, tenant, ReportFilters(), now=later)

    def total(board_gaps: GapReport) -> float | None:
        return next(
            cell.weighted_gap
            for cell in board_gaps.heatmap.cells
            if cell.team == "all teams" and cell.skill_id == skill_id
        )

    before_gap, after_gap = total(board.gaps), total(after.gaps)
    assert before_gap is not None and after_gap is not None and after_gap < before_gap


def test_a_report_asks_the_content_check_once_per_skill() -> None:
    asked: list[list[int]] = []

    def check(skill_ids: Sequence[int]) -> set[int]:
        asked.append(list(skill_ids))
        return {s for s in skill_ids if s % 2 == 0}

    once = _once_per_skill(check)
    assert once([1, 2, 3, 2]) == {2}
    assert once([2, 3, 4]) == {2, 4}
    assert once([4, 1]) == {4}
    assert asked == [[1, 2, 3], [4]]


def test_the_collector_comes_back_on_only_when_the_last_pause_ends() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()

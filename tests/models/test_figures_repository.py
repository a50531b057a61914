"""The L&D figures repository on SQLite and PostgreSQL: per tenant, by window, deletes only its own."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from models import figures_repository as figures_repo
from models import repositories as repo
from models.db import transaction
from models.tables import FIGURE_BENEFIT, FIGURE_COST, FIGURE_RESULT, LdFigure
from service.core.runtime import Runtime


def figure(tenant_id: int, kind: str, name: str, start: date, end: date, team: str | None = None) -> LdFigure:
    return LdFigure(
        tenant_id=tenant_id,
        kind=kind,
        name=name,
        team=team,
        period_start=start,
        period_end=end,
        value=100.0,
        unit="EUR" if kind != FIGURE_RESULT else "%",
    )


def test_figures_are_listed_per_tenant_by_kind_and_overlapping_window(runtime: Runtime, tenant: str) -> None:
    with transaction(runtime.sessions) as session:
        mine = repo.get_or_create_tenant(session, tenant).id
        other = repo.get_or_create_tenant(session, tenant + "-other").id
        figures_repo.add_figures(
            session,
            [
                figure(mine, FIGURE_RESULT, "Win rate", date(2026, 10, 1), date(2026, 10, 31), team="sales"),
                figure(mine, FIGURE_COST, "Licence", date(2026, 9, 1), date(2026, 9, 30)),
                figure(mine, FIGURE_BENEFIT, "Hiring", date(2026, 9, 1), date(2026, 11, 30)),
                figure(other, FIGURE_COST, "Licence", date(2026, 9, 1), date(2026, 9, 30)),
            ],
        )
    with runtime.sessions() as session:
        every = figures_repo.list_figures(session, mine)
        assert [(f.name, f.period_start) for f in every] == [
            ("Licence", date(2026, 9, 1)),
            ("Hiring", date(2026, 9, 1)),
            ("Win rate", date(2026, 10, 1)),
        ]
        assert every[0].id < every[1].id and every[2].team == "sales" and every[0].team is None
        assert [f.name for f in figures_repo.list_figures(session, mine, kind=FIGURE_COST)] == ["Licence"]
        # The window is inclusive at both ends and keeps figures whose period only touches it.
        assert {f.name for f in figures_repo.list_figures(session, mine, start=date(2026, 9, 30))} == {
            "Licence",
            "Hiring",
            "Win rate",
        }
        assert {f.name for f in figures_repo.list_figures(session, mine, start=date(2026, 10, 1))} == {
            "Hiring",
            "Win rate",
        }
        assert {f.name for f in figures_repo.list_figures(session, mine, end=date(2026, 9, 30))} == {
            "Licence",
            "Hiring",
        }
        assert figures_repo.list_figures(session, mine, start=date(2026, 12, 1)) == []
        assert figures_repo.figure_keys(session, mine) == {
            (FIGURE_RESULT, "Win rate", "sales", date(2026, 10, 1), date(2026, 10, 31)),
            (FIGURE_COST, "Licence", None, date(2026, 9, 1), date(2026, 9, 30)),
            (FIGURE_BENEFIT, "Hiring", None, date(2026, 9, 1), date(2026, 11, 30)),
        }


def test_a_figure_is_deleted_only_by_its_own_tenant(runtime: Runtime, tenant: str) -> None:
    with transaction(runtime.sessions) as session:
        mine = repo.get_or_create_tenant(session, tenant).id
        other = repo.get_or_create_tenant(session, tenant + "-other").id
        (row,) = figures_repo.add_figures(
            session, [figure(mine, FIGURE_COST, "Trainer day", date(2026, 10, 8), date(2026, 10, 8))]
        )
        figure_id = row.id
    with transaction(runtime.sessions) as session:
        assert figures_repo.delete_figure(session, other, figure_id) is False
    with transaction(runtime.sessions) as session:
        assert [f.id for f in figures_repo.list_figures(session, mine)] == [figure_id]
        assert figures_repo.delete_figure(session, mine, figure_id) is True
        assert figures_repo.delete_figure(session, mine, figure_id) is False
    with runtime.sessions() as session:
        assert figures_repo.list_figures(session, mine) == []


def test_the_database_refuses_an_unknown_kind(runtime: Runtime, tenant: str) -> None:
    with pytest.raises(IntegrityError), transaction(runtime.sessions) as session:
        mine = repo.get_or_create_tenant(session, tenant).id
        figures_repo.add_figures(
            session, [figure(mine, "saving", "Bonus", date(2026, 9, 1), date(2026, 9, 1))]
        )
    with runtime.sessions() as session:
        found = repo.get_tenant(session, tenant)
        assert found is None or figures_repo.list_figures(session, found.id) == []

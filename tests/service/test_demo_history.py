"""The demo's simulated history gives the KPI report's Learning Day and time-to-proficiency figures
something to show (service.demo.learning_day_history), within the n>=5 rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from models import repositories as repo
from models.db import transaction
from recommender.embedding import Encoder
from service.core.runtime import Runtime
from service.demo.activity import END, START
from service.reports.schemas import ReportFilters
from service.reports.team_reports import kpi_report
from tests.support.settings import make_settings


@pytest.mark.slow
def test_the_loaded_demo_shows_learning_day_use_and_time_to_proficiency(
    demo_home: Path, encoder: Encoder
) -> None:
    runtime = Runtime(make_settings(demo_home), encoder=encoder)
    try:
        with transaction(runtime.sessions) as session:
            tenant = repo.get_tenant(session, "demo")
            assert tenant is not None
            # the window of the simulated quarter, so that the test holds whenever it runs
            now = max(datetime.now(START.tzinfo), END + timedelta(days=1))
            report = kpi_report(
                session, tenant.id, "demo", ReportFilters(), start=START.date(), end=END.date(), now=now
            )
    finally:
        runtime.close()
    days = report.learning_days
    assert days is not None and not days.overall.suppressed
    assert days.overall.share is not None and 0.4 <= days.overall.share <= 0.9
    shares = [t.share for t in days.teams if not t.suppressed and t.share is not None]
    assert len(shares) >= 3 and max(shares) - min(shares) >= 0.05  # teams differ
    assert all(t.suppressed for t in days.teams if t.employees < 5)
    shown = [s for s in report.time_to_proficiency if not s.suppressed]
    assert shown and all(s.employees >= 5 and s.median_days and s.median_days > 0 for s in shown)

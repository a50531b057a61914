"""Report routes for L&D: the gap report (JSON, CSV, HTML) and the learning KPIs (JSON, CSV)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from service.core.schemas import IsoDate
from service.http.deps import Caller, RuntimeDep, SessionDep
from service.http.errors import problem_responses
from service.reports.dashboard.access import browser_or_bearer_caller
from service.reports.dashboard.pages import render_gap_report
from service.reports.schemas import GapReport, KpiReport, ReportFilters
from service.reports.team_reports import (
    check_filters,
    gap_report,
    gap_report_csv,
    kpi_report,
    kpi_report_csv,
)

router = APIRouter(prefix="/v1", tags=["reports"])

ReportCaller = Annotated[Caller, Depends(browser_or_bearer_caller)]
TeamQuery = Annotated[str | None, Query(max_length=200, description="Only this team")]
RoleQuery = Annotated[str | None, Query(max_length=200, description="Only employees in this role (role_id)")]


def _download_name(kind: str, filters: ReportFilters) -> str:
    parts = [kind, *(value for value in (filters.team, filters.role) if value)]
    return "-".join("".join(ch if ch.isalnum() else "_" for ch in part) for part in parts) + ".csv"


@router.get(
    "/reports/gaps",
    response_model=GapReport,
    responses={
        **problem_responses(401, 403, 422),
        200: {"content": {"text/csv": {}, "text/html": {}}, "description": "The report in the asked format"},
    },
)
def gaps_report(
    caller: ReportCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    team: TeamQuery = None,
    role: RoleQuery = None,
    format: Literal["json", "csv", "html"] = "json",
) -> GapReport | Response:
    """Team by skill heatmap of importance-weighted gaps, top gaps per team and role, skills no content
    covers, and the items that close the most gap; figures about fewer than 5 people are suppressed."""
    filters = check_filters(session, caller.tenant_id, team, role)
    report = gap_report(runtime, session, caller.tenant_id, caller.tenant_slug, filters)
    if format == "csv":
        return Response(
            gap_report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_download_name("gaps", filters)}"'},
        )
    if format == "html":
        return HTMLResponse(render_gap_report(report))
    return report


@router.get(
    "/reports/kpis",
    response_model=KpiReport,
    responses={
        **problem_responses(401, 403, 422),
        200: {"content": {"text/csv": {}}, "description": "The KPIs"},
    },
)
def kpis_report(
    caller: ReportCaller,
    session: SessionDep,
    team: TeamQuery = None,
    role: RoleQuery = None,
    period: Literal["month", "week"] = "month",
    start: Annotated[
        IsoDate | None,
        Query(description="First day of the window (1900-01-01 to 2999-12-31); default: 6 months back"),
    ] = None,
    end: Annotated[
        IsoDate | None, Query(description="Last day of the window (at most 2999-12-31); default: today")
    ] = None,
    format: Literal["json", "csv"] = "json",
) -> KpiReport | Response:
    """Participation, completion, learning minutes, active paths, training effectiveness, Kirkpatrick
    levels 1 to 4 and training ROI, for the window and per period."""
    filters = check_filters(session, caller.tenant_id, team, role)
    report = kpi_report(session, caller.tenant_id, caller.tenant_slug, filters, period, start, end)
    if format == "csv":
        return Response(
            kpi_report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_download_name("kpis", filters)}"'},
        )
    return report

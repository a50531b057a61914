"""The report commands: `leerpad report gaps` (the API's gap report, in the same three formats) and
`leerpad report figures` (the L&D figures the KPI report uses)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from service.cli import context
from service.cli.context import DEFAULT_TENANT, TenantOption, fail

report_app = typer.Typer(help="Reports for L&D.", no_args_is_help=True)


@report_app.command("gaps")
def report_gaps(
    tenant: TenantOption = DEFAULT_TENANT,
    team: Annotated[str | None, typer.Option("--team", help="Only this team")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Only this role (role_id)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="html, csv or json")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout")
    ] = None,
) -> None:
    """The gap report: team by skill heatmap, top gaps, uncovered skills, items closing most gap."""
    from models.db import transaction
    from service.reports.dashboard.pages import render_gap_report
    from service.reports.team_reports import check_filters, gap_report, gap_report_csv

    if output_format not in ("html", "csv", "json"):
        fail(f"--format: html, csv or json, got {output_format!r}", code=2)
    with context.tenant_runtime(tenant) as runtime, transaction(runtime.sessions) as session:
        tenant_id = context.known_tenant(session, tenant).id
        filters = check_filters(session, tenant_id, team, role)
        report = gap_report(runtime, session, tenant_id, tenant, filters)
    if output_format == "csv":
        text = gap_report_csv(report)
    elif output_format == "html":
        text = render_gap_report(report)
    else:
        text = report.model_dump_json(indent=2)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"gap report of {tenant} written to {output}")


@report_app.command("figures")
def report_figures(
    path: Annotated[
        Path, typer.Argument(help="A CSV: kind,name,team,period_start,period_end,value,unit,note")
    ],
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Import the costs, benefits and business results that the KPI report's ROI and level 4 use."""
    from service.reports.figures import import_figures, read_figures_csv

    if not path.is_file():
        fail(f"{path}: no such file", code=2)
    inputs = read_figures_csv(path)
    with context.tenant_runtime(tenant) as runtime:
        stored = import_figures(runtime, tenant, inputs)
    typer.echo(f"L&D figures stored for {tenant}: {stored}")

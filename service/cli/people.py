"""The people commands: `leerpad identities` (which employee each LMS actor is)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from service.cli import context
from service.cli.context import DEFAULT_TENANT, TenantOption

identities_app = typer.Typer(help="Which employee each LMS user is in xAPI statements.", no_args_is_help=True)


@identities_app.command("import")
def identities_import(
    path: Annotated[
        Path,
        typer.Argument(
            help="A CSV file: employee_id, and per row one of account_home_page + account_name, mbox, "
            "mbox_sha1sum, openid"
        ),
    ],
    tenant: TenantOption = DEFAULT_TENANT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object")] = False,
) -> None:
    """Map LMS users to employees; rows that cannot be used are listed with their line, the rest is stored."""
    from datetime import UTC, datetime

    from models.db import transaction
    from service.events.identities import read_identities_csv
    from service.xapi.identities import map_actors

    entries, unreadable = read_identities_csv(path)
    with context.tenant_runtime(tenant) as runtime, transaction(runtime.sessions) as session:
        tenant_id = context.known_tenant(session, tenant).id
        report, applied = map_actors(session, tenant_id, entries, datetime.now(UTC))
    report.problems[:0] = unreadable
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    typer.echo(
        f"identities: created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
    )
    if applied:
        typer.echo(f"xAPI statements waiting for these people, applied now: {applied}")
    context.echo_problems([f"{p['where']}: {p['reason']}" for p in report.problems])


@identities_app.command("home-pages")
def identities_home_pages(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="LMS sites whose account names are employee ids (replaces the list)"),
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Empty the list: every site's account names count")
    ] = False,
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Show, set or clear the LMS sites whose xAPI account names are employee ids."""
    from datetime import UTC, datetime

    from models import identities_repository
    from models.db import transaction
    from service.xapi.identities import replace_home_pages

    with context.tenant_runtime(tenant) as runtime, transaction(runtime.sessions) as session:
        tenant_id = context.known_tenant(session, tenant).id
        pages = (
            replace_home_pages(session, tenant_id, urls or [], datetime.now(UTC)) if urls or clear else None
        )
        shown = pages if pages is not None else identities_repository.home_pages(session, tenant_id)
    if not shown:
        typer.echo("no home pages listed: every LMS account's name is taken as the employee id")
    for page in shown:
        typer.echo(page)

"""The skills commands: `leerpad taxonomy` (skills and occupations, the catalog's tags) and
`leerpad roles` (role profiles)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from service.cli import context
from service.cli.context import DEFAULT_TENANT, TenantOption, fail

taxonomy_app = typer.Typer(help="The skills taxonomy.", no_args_is_help=True)
roles_app = typer.Typer(help="Role profiles.", no_args_is_help=True)


@taxonomy_app.command("import")
def taxonomy_import(
    kind: Annotated[
        str, typer.Argument(help="esco (an ESCO CSV download folder) or default (the bundled taxonomy)")
    ],
    path: Annotated[
        Path | None, typer.Argument(help="The ESCO folder (skills_<lang>.csv, occupations_<lang>.csv, ...)")
    ] = None,
    tenant: TenantOption = DEFAULT_TENANT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object")] = False,
) -> None:
    """Import skills and occupations; importing the same taxonomy twice changes nothing."""
    from ingest.taxonomy import read_default_taxonomy, read_esco
    from service.skills.taxonomy import import_taxonomy

    if kind not in ("esco", "default"):
        fail(f"unknown taxonomy kind {kind!r}; expected esco or default", code=2)
    if kind == "esco" and (path is None or not path.is_dir()):
        fail(f"{path}: an ESCO import needs the folder of the CSV download", code=2)
    taxonomy = read_esco(path) if kind == "esco" and path else read_default_taxonomy()
    with context.tenant_runtime(tenant) as runtime:
        report = import_taxonomy(runtime, tenant, taxonomy, origin=kind)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    typer.echo(
        f"skills: created {report.skills_created}, updated {report.skills_updated}, "
        f"unchanged {report.skills_unchanged}; occupations: created {report.occupations_created}, "
        f"updated {report.occupations_updated}, unchanged {report.occupations_unchanged}"
    )
    typer.echo(f"skill vectors computed: {report.embedded}; catalog items re-tagged: {report.items_tagged}")
    context.echo_problems([f"{p['file']} line {p['line']}: {p['reason']}" for p in report.problems])


@taxonomy_app.command("retag")
def taxonomy_retag(
    tenant: TenantOption = DEFAULT_TENANT,
    queue: Annotated[
        bool, typer.Option("--queue", help="Queue it as a job for `leerpad worker` instead of running it now")
    ] = False,
) -> None:
    """Recompute the automatic skill tags of the whole catalog; reviewed tags keep their verdict."""
    from models.db import transaction
    from service.jobs.queue import enqueue_retag
    from service.skills.taxonomy import retag_catalog

    with context.tenant_runtime(tenant) as runtime:
        if queue:
            with transaction(runtime.sessions) as session:
                tenant_id = context.known_tenant(session, tenant).id
            job = enqueue_retag(runtime, tenant_id)
            typer.echo(f"retag job {job.id} queued for {tenant}")
            return
        outcome = retag_catalog(runtime, tenant)
    typer.echo(
        f"catalog items re-tagged: {outcome['items_tagged']}; skill vectors computed: {outcome['skills_embedded']}"
    )


@roles_app.command("import")
def roles_import(
    path: Annotated[Path, typer.Argument(help="A CSV (role_id,name,skill,level,importance) or YAML file")],
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Create or replace role profiles from a file; a role made from an ESCO occupation names it."""
    from service.skills.roles import RoleInputError
    from service.skills.taxonomy import import_roles, read_role_file

    if not path.is_file():
        fail(f"{path}: no such file", code=2)
    definitions = read_role_file(path)
    with context.tenant_runtime(tenant) as runtime:
        try:
            for line in import_roles(runtime, tenant, definitions):
                typer.echo(line)
        except RoleInputError as exc:
            raise RoleInputError(f"{path}: {exc}") from exc  # which file, as a role file's errors say

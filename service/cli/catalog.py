"""The catalog commands: `leerpad ingest` and `leerpad index` (the FAISS and BM25 snapshots)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ingest.sources import KINDS
from service.cli import context
from service.cli.context import DEFAULT_TENANT, TenantOption, fail
from service.cli.errors import exit_code

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

index_app = typer.Typer(help="The FAISS index snapshots.", no_args_is_help=True)


def print_report(report: IngestReport) -> None:
    """An import's report as an operator reads it: the counts, the snapshot, what was retired or rejected."""
    prefix = "dry run: would have " if report.dry_run else ""
    typer.echo(f"{report.kind} import of {report.path} (source {report.source!r})")
    typer.echo(
        f"{prefix}created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"retired {report.retired}, rejected {report.rejected_total}"
    )
    if report.dry_run:
        typer.echo(f"texts to embed: {report.would_embed}")
    else:
        typer.echo(f"texts embedded: {report.embedded}; micro-units: {report.units}")
    if report.index_version is not None:
        typer.echo(f"index snapshot {report.index_version} published with {report.index_count} vectors")
    print_retired(report)
    if report.dry_run and report.retire_refusal:
        typer.echo(f"a real import would be refused: {report.retire_refusal}")
    for rejection in report.rejected:
        where = f"{rejection.origin} " if rejection.origin else ""
        field = f" [{rejection.field}]" if rejection.field else ""
        typer.echo(f"  rejected {where}line {rejection.line}{field}: {rejection.reason}")
    if report.rejected_total > len(report.rejected):
        typer.echo(f"  ... and {report.rejected_total - len(report.rejected)} more rejections")


def print_retired(report: IngestReport) -> None:
    """The items the import retired or, in a dry run or a refused import, would retire."""
    verb = "retired" if not (report.dry_run or report.retire_refusal) else "would retire"
    for retired in report.retired_items:
        typer.echo(f"  {verb} {retired.external_id}: {retired.title}")
    if report.retired > len(report.retired_items):
        typer.echo(f"  ... and {report.retired - len(report.retired_items)} more")


def ingest(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}")],
    path: Annotated[Path, typer.Argument(help="The catalog file or folder")],
    tenant: TenantOption = DEFAULT_TENANT,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count; change nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object")] = False,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Name of the source (default: the kind); retiring is per source"),
    ] = None,
    allow_retire: Annotated[
        bool,
        typer.Option(
            "--allow-retire",
            help="Allow retiring more than 20% (and more than 4) of the source's active items",
        ),
    ] = False,
) -> None:
    """Import a catalog: new items are created, changed ones updated, missing ones retired (more than
    a few only with --allow-retire; exit 2 otherwise)."""
    from ingest.pipeline import IngestError, RetireRefused

    if kind not in KINDS:
        fail(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", code=2)
    if not path.exists():
        fail(f"{path}: no such file or folder", code=2)
    with context.tenant_runtime(tenant) as runtime:
        try:
            report = runtime.ingest(
                tenant,
                kind,
                path,
                source_name=source,
                dry_run=dry_run,
                allow_retire=allow_retire,
                progress=not as_json,
            )
        except IngestError as exc:
            # What the import found before it stopped is part of the answer. The error line and the
            # exit code are service.cli.errors' (with --json the error is a field of the one object).
            if as_json:
                body = exc.report.to_json() if exc.report else {}
                body["error"] = str(exc)
                typer.echo(json.dumps(body, ensure_ascii=False))
                raise typer.Exit(exit_code(exc) or 1) from exc
            if isinstance(exc, RetireRefused) and exc.report:
                print_retired(exc.report)
            elif exc.report and exc.report.rejected:
                print_report(exc.report)
            raise
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print_report(report)


@index_app.command("rebuild")
def index_rebuild(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Publish a new snapshot and its BM25 index from the vectors and texts in the database (no re-encoding)."""
    with context.tenant_runtime(tenant) as runtime:
        version = runtime.rebuild_index(tenant)
    typer.echo(f"index snapshot {version} published for {tenant}")


@index_app.command("reembed")
def index_reembed(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Encode every active unit and skill again with the configured model (LEERPAD_EMBEDDING_MODEL) and publish a new snapshot: what switching models needs."""
    from ingest.reembed import reembed_tenant

    with context.tenant_runtime(tenant) as runtime:
        settings = runtime.settings
        report = reembed_tenant(
            runtime.sessions, runtime.encoder, settings.model, settings.index_root, tenant, progress=True
        )
        runtime.announce(tenant)  # replicas take it from LEERPAD_SNAPSHOT_STORE, when set
    typer.echo(
        f"{report.units} units and {report.skills} skills of {tenant} embedded with {report.model}; "
        f"index snapshot {report.index_version} published with {report.index_count} vectors"
    )


@index_app.command("check")
def index_check(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Exit non-zero when the published snapshot does not match the database."""
    with context.tenant_runtime(tenant) as runtime:
        problem = runtime.check_index(tenant, repair=False)
    if problem:
        fail(problem)
    typer.echo(f"index of {tenant} matches the database")

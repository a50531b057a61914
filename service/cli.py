"""The `leerpad` command: set-up, ingest, keys, serving and the worker."""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from ingest.pipeline import IngestError, IngestReport
from ingest.sources import KINDS
from models import repositories as repo
from models.db import transaction
from service.deps import ROLES
from service.runtime import Runtime
from service.settings import Settings

app = typer.Typer(
    name="leerpad",
    help="Leerpad: learning paths that close skills gaps. Settings come from LEERPAD_* variables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
index_app = typer.Typer(help="The FAISS index snapshots.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="The skills taxonomy.", no_args_is_help=True)
roles_app = typer.Typer(help="Role profiles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(roles_app, name="roles")
app.add_typer(keys_app, name="keys")
app.add_typer(index_app, name="index")

DEFAULT_TENANT = "demo"
TenantOption = Annotated[
    str, typer.Option("--tenant", help="The company the command works for; created on first use.")
]


def _runtime() -> Runtime:
    """A runtime on a migrated database (migrating is idempotent and quick)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    runtime = Runtime(Settings())
    runtime.migrate()
    return runtime


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest schema."""
    runtime = _runtime()
    typer.echo(f"database at the latest schema ({runtime.engine.url.render_as_string(hide_password=True)})")


def print_report(report: IngestReport) -> None:
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
    for rejection in report.rejected:
        where = f"{rejection.origin} " if rejection.origin else ""
        field = f" [{rejection.field}]" if rejection.field else ""
        typer.echo(f"  rejected {where}line {rejection.line}{field}: {rejection.reason}")
    if report.rejected_total > len(report.rejected):
        typer.echo(f"  ... and {report.rejected_total - len(report.rejected)} more rejections")


@app.command("ingest")
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
) -> None:
    """Import a catalog: new items are created, changed ones updated, missing ones retired."""
    if kind not in KINDS:
        _fail(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", code=2)
    if not path.exists():
        _fail(f"{path}: no such file or folder", code=2)
    runtime = _runtime()
    try:
        report = runtime.ingest(tenant, kind, path, source_name=source, dry_run=dry_run, progress=not as_json)
    except IngestError as exc:
        if as_json:
            body = exc.report.to_json() if exc.report else {}
            body["error"] = str(exc)
            typer.echo(json.dumps(body, ensure_ascii=False))
        else:
            if exc.report and exc.report.rejected:
                print_report(exc.report)
            typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print_report(report)


@keys_app.command("create")
def keys_create(
    tenant: TenantOption = DEFAULT_TENANT,
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}")] = "admin",
    employee: Annotated[
        str | None, typer.Option("--employee", help="The employee an employee key is bound to")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="A note on what the key is for")] = None,
) -> None:
    """Create an API key; the key itself is printed alone on the last line."""
    if role not in ROLES:
        _fail(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", code=2)
    if role == "employee" and not employee:
        _fail("an employee key needs --employee ID", code=2)
    if role != "employee" and employee:
        _fail("--employee goes only with --role employee", code=2)
    runtime = _runtime()
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        key, secret = repo.create_api_key(session, row, role, employee_id=employee, label=label)
        typer.echo(
            f"created {role} key {key.prefix} for tenant {tenant}"
            + (f", employee {employee}" if employee else "")
        )
    runtime.close()
    typer.echo(secret)


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
    from ingest.records import SourceError
    from ingest.taxonomy import read_default_taxonomy, read_esco
    from service.taxonomy import import_taxonomy

    if kind not in ("esco", "default"):
        _fail(f"unknown taxonomy kind {kind!r}; expected esco or default", code=2)
    if kind == "esco" and (path is None or not path.is_dir()):
        _fail(f"{path}: an ESCO import needs the folder of the CSV download", code=2)
    try:
        taxonomy = read_esco(path) if kind == "esco" and path else read_default_taxonomy()
    except SourceError as exc:
        _fail(str(exc))
    runtime = _runtime()
    try:
        report = import_taxonomy(runtime, tenant, taxonomy, origin=kind)
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    typer.echo(
        f"skills: created {report.skills_created}, updated {report.skills_updated}, "
        f"unchanged {report.skills_unchanged}; occupations: created {report.occupations_created}, "
        f"updated {report.occupations_updated}, unchanged {report.occupations_unchanged}"
    )
    typer.echo(f"skill vectors computed: {report.embedded}; catalog items re-tagged: {report.items_tagged}")
    for problem in report.problems[:20]:
        typer.echo(f"  {problem['file']} line {problem['line']}: {problem['reason']}")
    if len(report.problems) > 20:
        typer.echo(f"  ... and {len(report.problems) - 20} more problems")


@roles_app.command("import")
def roles_import(
    path: Annotated[Path, typer.Argument(help="A CSV (role_id,name,skill,level,importance) or YAML file")],
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Create or replace role profiles from a file; a role made from an ESCO occupation names it."""
    from service.roles import RoleInputError
    from service.taxonomy import RoleFileError, import_roles, read_role_file

    if not path.is_file():
        _fail(f"{path}: no such file", code=2)
    try:
        definitions = read_role_file(path)
    except RoleFileError as exc:
        _fail(str(exc))
    runtime = _runtime()
    try:
        for line in import_roles(runtime, tenant, definitions):
            typer.echo(line)
    except RoleInputError as exc:
        _fail(f"{path}: {exc}")
    finally:
        runtime.close()


@index_app.command("rebuild")
def index_rebuild(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Publish a new snapshot and its BM25 index from the vectors and texts in the database (no re-encoding)."""
    runtime = _runtime()
    version = runtime.rebuild_index(tenant)
    runtime.close()
    typer.echo(f"index snapshot {version} published for {tenant}")


@index_app.command("check")
def index_check(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Exit non-zero when the published snapshot does not match the database."""
    runtime = _runtime()
    problem = runtime.check_index(tenant, repair=False)
    runtime.close()
    if problem:
        _fail(problem)
    typer.echo(f"index of {tenant} matches the database")


@app.command("demo")
def demo(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Load the bundled demo: taxonomy, catalogs, roles, employees and assessments of a fictional company."""
    from service.demo import load_demo

    runtime = _runtime()
    try:
        for line in load_demo(runtime, tenant):
            typer.echo(line)
    except IngestError as exc:
        _fail(str(exc))
    finally:
        runtime.close()


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes")] = 1,
) -> None:
    """Serve the HTTP API (migrates the database first)."""
    import uvicorn

    runtime = _runtime()
    runtime.close()
    uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers)


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run the queued jobs, then exit")] = False,
) -> None:
    """Run queued jobs (imports) until stopped; several workers may run at once on PostgreSQL."""
    runtime = _runtime()
    logging.getLogger("leerpad").setLevel(logging.INFO)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    from service.jobs import work_forever

    done = work_forever(runtime, stop, once=once)
    runtime.close()
    typer.echo(f"worker stopped after {done} jobs")


def main() -> None:
    app(prog_name="leerpad")


if __name__ == "__main__":
    main()

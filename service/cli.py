"""The `leerpad` command: set-up, ingest, keys, retraining, serving and the worker."""

from __future__ import annotations

import json
import logging
import math
import re
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from ingest.sources import KINDS
from service.core.key_roles import ROLES

# Everything else is imported by the commands that use it: the database layer, the runtime and what
# it loads (faiss, scikit-learn, the encoders) take seconds, and `leerpad --help` needs none of them.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ingest.pipeline import IngestReport
    from models.tables import Tenant
    from service.core.runtime import Runtime
    from service.jobs.retraining import RetrainOutcome

app = typer.Typer(
    name="leerpad",
    help="Leerpad: learning paths that close skills gaps. Settings come from LEERPAD_* variables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    # Click's plain help: typer's rich panels show every flag as `--dry-run <bool>`, as if it took a value.
    rich_markup_mode=None,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
tenants_app = typer.Typer(help="The companies (tenants) the other commands work for.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
index_app = typer.Typer(help="The FAISS index snapshots.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="The skills taxonomy.", no_args_is_help=True)
roles_app = typer.Typer(help="Role profiles.", no_args_is_help=True)
models_app = typer.Typer(help="The ranking models retraining produced.", no_args_is_help=True)
report_app = typer.Typer(help="Reports for L&D.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(roles_app, name="roles")
app.add_typer(keys_app, name="keys")
app.add_typer(index_app, name="index")
app.add_typer(models_app, name="models")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")

DEFAULT_TENANT = "demo"
TenantOption = Annotated[
    str,
    typer.Option(
        "--tenant", help="The company the command works for; it must exist (leerpad tenants create T)."
    ),
]
TENANT_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _runtime() -> Runtime:
    """A runtime on a migrated database (migrating is idempotent and quick). Logs go to stderr in
    LEERPAD_LOG_FORMAT; commands log warnings and errors only unless LEERPAD_LOG_LEVEL is set."""
    from service.core.runtime import Runtime
    from service.core.settings import Settings
    from service.http.metrics import prepare_multiprocess_dir
    from service.http.request_log import configure_logging

    settings = Settings()
    level = settings.log_level if "log_level" in settings.model_fields_set else "warning"
    configure_logging(settings.log_format, level)
    prepare_multiprocess_dir()  # with PROMETHEUS_MULTIPROC_DIR set, imports and jobs are counted there
    runtime = Runtime(settings)
    runtime.migrate()
    return runtime


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _known_tenant(session: Session, slug: str) -> Tenant:
    """The tenant a command names. The one rule for every command taking --tenant: an unknown tenant
    is refused (exit 2) with the known ones listed, before anything is written. Only `leerpad tenants
    create` and `leerpad demo` create tenants."""
    from models import repositories as repo

    row = repo.get_tenant(session, slug)
    if row is not None:
        return row
    known = ", ".join(t.slug for t in repo.list_tenants(session)) or "none yet"
    if slug == DEFAULT_TENANT:
        how = f"load the demo with: leerpad demo, or create an empty one with: leerpad tenants create {slug}"
    else:
        how = f"create one with: leerpad tenants create {slug}"
    _fail(f"unknown tenant {slug!r}; known tenants: {known} ({how})", code=2)


def _tenant_runtime(slug: str) -> Runtime:
    """A runtime for a command that works for the tenant `slug`, which must exist (_known_tenant)."""
    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            _known_tenant(session, slug)
    except BaseException:
        runtime.close()
        raise
    return runtime


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest schema."""
    runtime = _runtime()
    typer.echo(f"database at the latest schema ({runtime.engine.url.render_as_string(hide_password=True)})")


@tenants_app.command("create")
def tenants_create(
    slug: Annotated[str, typer.Argument(help="The tenant's short name, as --tenant and API keys name it")],
    name: Annotated[str | None, typer.Option("--name", help="A display name (default: the slug)")] = None,
) -> None:
    """Create a tenant (a company); creating one that exists changes nothing."""
    from models import repositories as repo
    from models.db import transaction

    if not TENANT_SLUG.fullmatch(slug):
        _fail(
            f"tenant {slug!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            2,
        )
    runtime = _runtime()
    try:
        with transaction(runtime.sessions) as session:
            if repo.get_tenant(session, slug) is not None:
                typer.echo(f"tenant {slug} exists already; nothing changed")
                return
            repo.create_tenant(session, slug, name)
    finally:
        runtime.close()
    typer.echo(f"tenant {slug} created")


@tenants_app.command("list")
def tenants_list() -> None:
    """The tenants: slug, name, when created."""
    from models import repositories as repo

    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            rows = [(t.slug, t.name, _when(t.created_at)) for t in repo.list_tenants(session)]
    finally:
        runtime.close()
    if not rows:
        typer.echo("no tenants yet (leerpad demo, or leerpad tenants create T)")
    for slug, name, created in rows:
        typer.echo(f"{slug:<20} {name:<30} created {created}")


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
        _fail(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", code=2)
    if not path.exists():
        _fail(f"{path}: no such file or folder", code=2)
    runtime = _tenant_runtime(tenant)
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
        if as_json:
            body = exc.report.to_json() if exc.report else {}
            body["error"] = str(exc)
            typer.echo(json.dumps(body, ensure_ascii=False))
        else:
            if isinstance(exc, RetireRefused) and exc.report:
                print_retired(exc.report)
            elif exc.report and exc.report.rejected:
                print_report(exc.report)
            typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2 if isinstance(exc, RetireRefused) else 1) from exc
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
    from models import repositories as repo
    from models.db import transaction

    if role not in ROLES:
        _fail(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", code=2)
    if role == "employee" and not employee:
        _fail("an employee key needs --employee ID", code=2)
    if role != "employee" and employee:
        _fail("--employee goes only with --role employee", code=2)
    runtime = _tenant_runtime(tenant)
    try:
        with transaction(runtime.sessions) as session:
            row = _known_tenant(session, tenant)
            key, secret = repo.create_api_key(session, row, role, employee_id=employee, label=label)
            typer.echo(
                f"created {role} key {key.prefix} for tenant {tenant}"
                + (f", employee {employee}" if employee else "")
            )
    finally:
        runtime.close()
    typer.echo(secret)


@keys_app.command("list")
def keys_list(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """The tenant's keys: id, prefix, role, employee, label, created, revoked. Never a secret (only hashes are stored)."""
    from models import repositories as repo

    runtime = _tenant_runtime(tenant)
    try:
        with runtime.sessions() as session:
            keys = repo.list_api_keys(session, _known_tenant(session, tenant).id)
            rows = [
                (k.id, k.prefix, k.role, k.employee_id or "-", k.label or "-", k.created_at, k.revoked_at)
                for k in keys
            ]
    finally:
        runtime.close()
    if not rows:
        typer.echo(f"{tenant} has no API keys (leerpad keys create --tenant {tenant} --role ROLE)")
        return
    typer.echo(f"{'id':>5} {'prefix':<12} {'role':<8} {'employee':<14} {'created':<16} {'revoked':<16} label")
    for key_id, prefix, role, employee, label, created, revoked in rows:
        typer.echo(
            f"{key_id:>5} {prefix:<12} {role:<8} {employee:<14} {_when(created):<16} {_when(revoked):<16} {label}"
        )


@keys_app.command("revoke")
def keys_revoke(
    key_ref: Annotated[
        str, typer.Argument(metavar="ID", help="The key's prefix or id, as `leerpad keys list` shows")
    ],
) -> None:
    """Revoke an API key: from now on every request with it is refused (401)."""
    from models import repositories as repo
    from models.db import transaction

    runtime = _runtime()
    try:
        with transaction(runtime.sessions) as session:
            key = repo.get_api_key_by_ref(session, key_ref)
            if key is None:
                _fail(f"no API key {key_ref!r}; `leerpad keys list --tenant T` shows the prefixes and ids", 2)
            owner = repo.get_tenant_by_id(session, key.tenant_id)
            what = f"{key.role} key {key.prefix} (id {key.id}) of tenant {owner.slug if owner else key.tenant_id}"
            if repo.revoke_api_key(session, key):
                typer.echo(f"revoked {what}")
            else:
                typer.echo(f"{what} was revoked already, on {_when(key.revoked_at)} UTC")
    finally:
        runtime.close()


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
    from service.skills.taxonomy import import_taxonomy

    if kind not in ("esco", "default"):
        _fail(f"unknown taxonomy kind {kind!r}; expected esco or default", code=2)
    if kind == "esco" and (path is None or not path.is_dir()):
        _fail(f"{path}: an ESCO import needs the folder of the CSV download", code=2)
    try:
        taxonomy = read_esco(path) if kind == "esco" and path else read_default_taxonomy()
    except SourceError as exc:
        _fail(str(exc))
    runtime = _tenant_runtime(tenant)
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

    runtime = _tenant_runtime(tenant)
    try:
        if queue:
            with transaction(runtime.sessions) as session:
                tenant_id = _known_tenant(session, tenant).id
            job = enqueue_retag(runtime, tenant_id)
            typer.echo(f"retag job {job.id} queued for {tenant}")
            return
        outcome = retag_catalog(runtime, tenant)
    finally:
        runtime.close()
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
    from service.skills.taxonomy import RoleFileError, import_roles, read_role_file

    if not path.is_file():
        _fail(f"{path}: no such file", code=2)
    try:
        definitions = read_role_file(path)
    except RoleFileError as exc:
        _fail(str(exc))
    runtime = _tenant_runtime(tenant)
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
    runtime = _tenant_runtime(tenant)
    version = runtime.rebuild_index(tenant)
    runtime.close()
    typer.echo(f"index snapshot {version} published for {tenant}")


@index_app.command("reembed")
def index_reembed(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Encode every active unit and skill again with the configured model (LEERPAD_EMBEDDING_MODEL) and publish a new snapshot: what switching models needs."""
    from ingest.reembed import ReembedError, reembed_tenant

    runtime = _tenant_runtime(tenant)
    try:
        settings = runtime.settings
        report = reembed_tenant(
            runtime.sessions, runtime.encoder, settings.model, settings.index_root, tenant, progress=True
        )
    except ReembedError as exc:
        _fail(str(exc), code=2)
    finally:
        runtime.close()
    typer.echo(
        f"{report.units} units and {report.skills} skills of {tenant} embedded with {report.model}; "
        f"index snapshot {report.index_version} published with {report.index_count} vectors"
    )


@index_app.command("check")
def index_check(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Exit non-zero when the published snapshot does not match the database."""
    runtime = _tenant_runtime(tenant)
    problem = runtime.check_index(tenant, repair=False)
    runtime.close()
    if problem:
        _fail(problem)
    typer.echo(f"index of {tenant} matches the database")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _value(value: float | None) -> str:
    return f"{value:.4f}" if value is not None and math.isfinite(value) else "n/a"


def print_outcome(outcome: RetrainOutcome) -> None:
    result, window = outcome.result, outcome.result.window
    candidate = result.candidate.version if result.candidate else "none trained"
    typer.echo(
        f"{outcome.tenant}: {result.metric} current {_value(result.current_metrics.get(result.metric))} "
        f"({result.current_version}) vs candidate {_value(result.candidate_metrics.get(result.metric))} "
        f"({candidate})"
    )
    typer.echo(
        f"  window {_when(window.start)} .. cut {_when(window.cut)} .. {_when(window.end)} UTC; "
        f"trained on {result.n_train}, judged on {result.n_test} interactions"
    )
    verdict = "PROMOTED" if outcome.promoted else "NOT PROMOTED"
    typer.echo(f"  {verdict}: {outcome.reason}")
    typer.echo(f"  paths are ranked by {outcome.active_version}")


@app.command("retrain")
def retrain(
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="The company to retrain for; default: every one with events"),
    ] = None,
    min_improvement: Annotated[
        float,
        typer.Option("--min-improvement", min=0.0, max=1.0, help="How much better the metric must be"),
    ] = 0.0,
) -> None:
    """Retrain the ranking model; the candidate replaces the active one only when it is clearly better."""
    from models import events_repository as events_repo
    from service.jobs.retraining import retrain as retrain_tenant

    runtime = _tenant_runtime(tenant) if tenant else _runtime()
    try:
        with runtime.sessions() as session:
            tenants = [tenant] if tenant else events_repo.tenants_with_events(session)
        if not tenants:
            typer.echo("no tenant has learning events yet: nothing to retrain")
        for slug in tenants:
            print_outcome(retrain_tenant(runtime, slug, min_improvement=min_improvement))
    finally:
        runtime.close()


@models_app.command("list")
def models_list(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """The registry, newest first: status, the metric against the model it was compared with, the window."""
    from service.jobs.retraining import active_version, list_models

    runtime = _tenant_runtime(tenant)
    try:
        entries = list_models(runtime, tenant)
    finally:
        runtime.close()
    typer.echo(f"{tenant}: paths are ranked by {active_version(entries)}")
    for entry in entries:
        typer.echo(
            f"{entry.version:<18} {entry.status:<9} {entry.metric} {_value(entry.current)} -> "
            f"{_value(entry.candidate)} (vs {entry.compared_with or '-'}), "
            f"data {_when(entry.data_start)} .. {_when(entry.data_end)}, "
            f"created {_when(entry.created_at)}, promoted {_when(entry.promoted_at)}"
        )
        typer.echo(f"{'':<18} {entry.reason}")


@models_app.command("rollback")
def models_rollback(
    tenant: TenantOption = DEFAULT_TENANT,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", help="The version to make active again (rules-1: the rules); default: the previous one"
        ),
    ] = None,
) -> None:
    """Make the previous model (or --to VERSION) rank the tenant's paths again; the current one is retired."""
    from service.jobs.retraining import RollbackError, rollback

    runtime = _tenant_runtime(tenant)
    try:
        done = rollback(runtime, tenant, to)
    except RollbackError as exc:
        _fail(str(exc))
    finally:
        runtime.close()
    typer.echo(f"{tenant}: {done.before} -> {done.after}; paths are ranked by {done.after}")


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
    from service.dashboard.pages import render_gap_report
    from service.reports.team_reports import ReportInputError, check_filters, gap_report, gap_report_csv

    if output_format not in ("html", "csv", "json"):
        _fail(f"--format: html, csv or json, got {output_format!r}", code=2)
    runtime = _tenant_runtime(tenant)
    try:
        with transaction(runtime.sessions) as session:
            tenant_id = _known_tenant(session, tenant).id
            filters = check_filters(session, tenant_id, team, role)
            report = gap_report(runtime, session, tenant_id, tenant, filters)
    except ReportInputError as exc:
        _fail(str(exc), code=2)
    finally:
        runtime.close()
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


@audit_app.command("purge")
def audit_purge(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Delete the tenant's audit entries older than LEERPAD_AUDIT_RETENTION_DAYS (workers do it daily)."""
    from service.trust.audit import purge_audit

    runtime = _tenant_runtime(tenant)
    try:
        outcome = purge_audit(runtime, tenant)
    finally:
        runtime.close()
    typer.echo(
        f"audit entries deleted for {tenant}: {outcome['deleted']} "
        f"(older than {outcome['retention_days']} days, before {outcome['cutoff']})"
    )


@report_app.command("figures")
def report_figures(
    path: Annotated[
        Path, typer.Argument(help="A CSV: kind,name,team,period_start,period_end,value,unit,note")
    ],
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Import the costs, benefits and business results that the KPI report's ROI and level 4 use."""
    from service.reports.figures import FigureInputError, import_figures, read_figures_csv

    if not path.is_file():
        _fail(f"{path}: no such file", code=2)
    try:
        inputs = read_figures_csv(path)
    except FigureInputError as exc:
        _fail(str(exc))
    runtime = _tenant_runtime(tenant)
    try:
        stored = import_figures(runtime, tenant, inputs)
    finally:
        runtime.close()
    typer.echo(f"L&D figures stored for {tenant}: {stored}")


@app.command("demo")
def demo(
    tenant: Annotated[
        str,
        typer.Option("--tenant", help="The company to load the demo into; created when it does not exist."),
    ] = DEFAULT_TENANT,
) -> None:
    """Load the bundled demo: taxonomy, catalogs, roles, employees and assessments of a fictional
    company. The first load embeds about a thousand texts; loading it again changes nothing."""
    import sys

    from tqdm import tqdm

    from ingest.pipeline import IngestError
    from service.demo.loader import load_demo

    progress = sys.stderr.isatty()  # bars for a person at a terminal, not in logs
    echo = tqdm.write if progress else typer.echo
    typer.echo(f"loading the demo into tenant {tenant} (only what changed since the last load)")
    runtime = _runtime()
    try:
        for line in load_demo(runtime, tenant, progress=progress):
            echo(line)
    except IngestError as exc:
        _fail(str(exc))
    finally:
        runtime.close()


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes")] = 1,
    worker_healthcheck_timeout: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --workers above 1: seconds a worker may leave the supervisor's ping unanswered "
            "before it is replaced (loading the model at start takes tens of seconds)",
        ),
    ] = 120,
) -> None:
    """Serve the HTTP API (migrates the database first)."""
    import uvicorn

    from service.http.metrics import prepare_multiprocess_dir
    from service.http.protocol import UVICORN_HTTP
    from service.http.request_log import logging_config

    runtime = _runtime()
    settings = runtime.settings
    runtime.close()
    prepare_multiprocess_dir(clear_dead=True)  # with PROMETHEUS_MULTIPROC_DIR: counts begin again
    # uvicorn's lines in the same format as ours; its access log off: service.http.request_log writes one.
    log_config = logging_config(settings.log_format, settings.log_level)
    uvicorn.run(
        "service.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        access_log=False,
        http=UVICORN_HTTP,  # TCP_NODELAY on every connection, also with --workers above 1
        timeout_worker_healthcheck=worker_healthcheck_timeout,
    )


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run the queued jobs, then exit")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            envvar="LEERPAD_WORKER_METRICS_PORT",
            help="Serve this worker's Prometheus metrics (job and import counts) at /metrics on this port",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(envvar="LEERPAD_WORKER_METRICS_HOST", help="Address for --metrics-port")
    ] = "127.0.0.1",
) -> None:
    """Run queued jobs (imports, retraining) until stopped; several workers may run at once on PostgreSQL."""
    runtime = _runtime()
    logging.getLogger("leerpad").setLevel(runtime.settings.log_level.upper())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    from service.http.metrics import prepare_multiprocess_dir
    from service.jobs.queue import work_forever

    prepare_multiprocess_dir(clear_dead=True)  # with PROMETHEUS_MULTIPROC_DIR: as `leerpad serve` does
    stop_metrics = None
    if metrics_port is not None:
        from service.http.metrics import serve_counted_metrics

        try:
            stop_metrics = serve_counted_metrics(metrics_host, metrics_port)
        except OSError as exc:
            runtime.close()
            _fail(f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc.strerror or exc}")
    try:
        done = work_forever(runtime, stop, once=once)
    finally:
        if stop_metrics is not None:
            stop_metrics()
        runtime.close()
    typer.echo(f"worker stopped after {done} jobs")


def main() -> None:
    app(prog_name="leerpad")


if __name__ == "__main__":
    main()

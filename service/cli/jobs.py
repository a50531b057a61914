"""The job commands: `leerpad worker` (runs the queued jobs), `leerpad retrain` and `leerpad models`
(the ranking models retraining produced)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli import context
from service.cli.context import DEFAULT_TENANT, TenantOption, fail, value, when

if TYPE_CHECKING:
    from service.jobs.retraining import RetrainOutcome

models_app = typer.Typer(help="The ranking models retraining produced.", no_args_is_help=True)


def print_outcome(outcome: RetrainOutcome) -> None:
    """A retraining's verdict: both models' metric, the data window, and which model ranks now."""
    result, window = outcome.result, outcome.result.window
    candidate = result.candidate.version if result.candidate else "none trained"
    typer.echo(
        f"{outcome.tenant}: {result.metric} current {value(result.current_metrics.get(result.metric))} "
        f"({result.current_version}) vs candidate {value(result.candidate_metrics.get(result.metric))} "
        f"({candidate})"
    )
    typer.echo(
        f"  window {when(window.start)} .. cut {when(window.cut)} .. {when(window.end)} UTC; "
        f"trained on {result.n_train}, judged on {result.n_test} interactions"
    )
    verdict = "PROMOTED" if outcome.promoted else "NOT PROMOTED"
    typer.echo(f"  {verdict}: {outcome.reason}")
    typer.echo(f"  paths are ranked by {outcome.active_version}")


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

    with context.tenant_runtime(tenant) if tenant else context.runtime() as runtime:
        with runtime.sessions() as session:
            tenants = [tenant] if tenant else events_repo.tenants_with_events(session)
        if not tenants:
            typer.echo("no tenant has learning events yet: nothing to retrain")
        for slug in tenants:
            print_outcome(retrain_tenant(runtime, slug, min_improvement=min_improvement))


@models_app.command("list")
def models_list(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """The registry, newest first: status, the metric against the model it was compared with, the window."""
    from service.jobs.retraining import active_version, list_models

    with context.tenant_runtime(tenant) as runtime:
        entries = list_models(runtime, tenant)
    typer.echo(f"{tenant}: paths are ranked by {active_version(entries)}")
    for entry in entries:
        typer.echo(
            f"{entry.version:<18} {entry.status:<9} {entry.metric} {value(entry.current)} -> "
            f"{value(entry.candidate)} (vs {entry.compared_with or '-'}), "
            f"data {when(entry.data_start)} .. {when(entry.data_end)}, "
            f"created {when(entry.created_at)}, promoted {when(entry.promoted_at)}"
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
    from service.jobs.retraining import rollback

    with context.tenant_runtime(tenant) as runtime:
        done = rollback(runtime, tenant, to)
    typer.echo(f"{tenant}: {done.before} -> {done.after}; paths are ranked by {done.after}")


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
    with context.runtime() as runtime:
        logging.getLogger("leerpad").setLevel(runtime.settings.log_level.upper())
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        # Imported after the handlers: loading the job runners takes seconds, and a stop meanwhile is clean.
        from service.http.metrics import prepare_multiprocess_dir, serve_counted_metrics
        from service.worker import work_forever

        prepare_multiprocess_dir(clear_dead=True)  # with PROMETHEUS_MULTIPROC_DIR: as `leerpad serve` does
        stop_metrics = None
        if metrics_port is not None:
            try:
                stop_metrics = serve_counted_metrics(metrics_host, metrics_port)
            except OSError as exc:
                fail(f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc.strerror or exc}")
        try:
            done = work_forever(runtime, stop, once=once)
        finally:
            if stop_metrics is not None:
                stop_metrics()
    typer.echo(f"worker stopped after {done} jobs")

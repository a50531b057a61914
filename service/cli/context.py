"""What every command module shares: the runtime a command opens, the tenant it works for, how it
fails, and how it prints a moment or a metric.

Only typer and the standard library are imported here: the database layer, the runtime and what it
loads (faiss, scikit-learn, the encoders) take seconds, and `leerpad --help` needs none of them.
Commands open theirs with `runtime()` or `tenant_runtime(slug)`, which call `open_runtime` through
this module, so that replacing it here (tests share their encoder this way) reaches every command.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.tables import Tenant
    from service.core.runtime import Runtime

DEFAULT_TENANT = "demo"
TenantOption = Annotated[
    str,
    typer.Option(
        "--tenant", help="The company the command works for; it must exist (leerpad tenants create T)."
    ),
]


def open_runtime() -> Runtime:
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


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop the command with `error: message` on stderr and exit code `code` (2: the command line
    asked for something that cannot be done; 1: it failed)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def known_tenant(session: Session, slug: str) -> Tenant:
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
    fail(f"unknown tenant {slug!r}; known tenants: {known} ({how})", code=2)


@contextmanager
def runtime() -> Iterator[Runtime]:
    """A runtime (open_runtime) for the length of a command, closed however the command ends."""
    active = open_runtime()
    try:
        yield active
    finally:
        active.close()


@contextmanager
def tenant_runtime(slug: str) -> Iterator[Runtime]:
    """A runtime for a command that works for the tenant `slug`, which must exist (known_tenant)."""
    with runtime() as active:
        with active.sessions() as session:
            known_tenant(session, slug)
        yield active


def when(moment: datetime | None) -> str:
    """A moment as the commands print it (UTC, to the minute), or `-` for none."""
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def value(number: float | None) -> str:
    """A metric to four decimals, or `n/a` when there is none."""
    return f"{number:.4f}" if number is not None and math.isfinite(number) else "n/a"


def echo_problems(lines: list[str], shown: int = 20) -> None:
    """The first `shown` problems of a report, indented, and how many more there are."""
    for line in lines[:shown]:
        typer.echo(f"  {line}")
    if len(lines) > shown:
        typer.echo(f"  ... and {len(lines) - shown} more problems")

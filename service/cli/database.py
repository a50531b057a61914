"""Set-up: `leerpad db` (the schema) and `leerpad tenants` (the companies the other commands work for)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from service.cli import context
from service.cli.context import fail, when

db_app = typer.Typer(help="The database.", no_args_is_help=True)
tenants_app = typer.Typer(help="The companies (tenants) the other commands work for.", no_args_is_help=True)

TENANT_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest schema."""
    with context.runtime() as runtime:
        url = runtime.engine.url.render_as_string(hide_password=True)
    typer.echo(f"database at the latest schema ({url})")


@tenants_app.command("create")
def tenants_create(
    slug: Annotated[str, typer.Argument(help="The tenant's short name, as --tenant and API keys name it")],
    name: Annotated[str | None, typer.Option("--name", help="A display name (default: the slug)")] = None,
) -> None:
    """Create a tenant (a company); creating one that exists changes nothing."""
    from models import repositories as repo
    from models.db import transaction

    if not TENANT_SLUG.fullmatch(slug):
        fail(
            f"tenant {slug!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            2,
        )
    with context.runtime() as runtime, transaction(runtime.sessions) as session:
        if repo.get_tenant(session, slug) is not None:
            typer.echo(f"tenant {slug} exists already; nothing changed")
            return
        repo.create_tenant(session, slug, name)
    typer.echo(f"tenant {slug} created")


@tenants_app.command("list")
def tenants_list() -> None:
    """The tenants: slug, name, when created."""
    from models import repositories as repo

    with context.runtime() as runtime, runtime.sessions() as session:
        rows = [(t.slug, t.name, when(t.created_at)) for t in repo.list_tenants(session)]
    if not rows:
        typer.echo("no tenants yet (leerpad demo, or leerpad tenants create T)")
    for slug, name, created in rows:
        typer.echo(f"{slug:<20} {name:<30} created {created}")

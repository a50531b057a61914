"""The trust commands: `leerpad keys` (API keys; only hashes are stored) and `leerpad audit`."""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli import context
from service.cli.context import DEFAULT_TENANT, TenantOption, fail, when
from service.core.key_roles import ROLES

keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


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
        fail(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", code=2)
    if role == "employee" and not employee:
        fail("an employee key needs --employee ID", code=2)
    if role != "employee" and employee:
        fail("--employee goes only with --role employee", code=2)
    with context.tenant_runtime(tenant) as runtime, transaction(runtime.sessions) as session:
        row = context.known_tenant(session, tenant)
        key, secret = repo.create_api_key(session, row, role, employee_id=employee, label=label)
        typer.echo(
            f"created {role} key {key.prefix} for tenant {tenant}"
            + (f", employee {employee}" if employee else "")
        )
    typer.echo(secret)


@keys_app.command("list")
def keys_list(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """The tenant's keys: id, prefix, role, employee, label, created, last used, revoked. Never a secret (only hashes are stored)."""
    from models import repositories as repo

    with context.tenant_runtime(tenant) as runtime, runtime.sessions() as session:
        keys = repo.list_api_keys(session, context.known_tenant(session, tenant).id)
        rows = [
            f"{k.id:>5} {k.prefix:<12} {k.role:<8} {k.employee_id or '-':<14} {when(k.created_at):<16} "
            f"{when(k.last_used_at) if k.last_used_at else 'never':<16} {when(k.revoked_at):<16} {k.label or '-'}"
            for k in keys
        ]
    if not rows:
        typer.echo(f"{tenant} has no API keys (leerpad keys create --tenant {tenant} --role ROLE)")
        return
    typer.echo(
        f"{'id':>5} {'prefix':<12} {'role':<8} {'employee':<14} {'created':<16} {'last used':<16} {'revoked':<16} label"
    )
    for row in rows:
        typer.echo(row)


@keys_app.command("revoke")
def keys_revoke(
    key_ref: Annotated[
        str, typer.Argument(metavar="ID", help="The key's prefix or id, as `leerpad keys list` shows")
    ],
) -> None:
    """Revoke an API key: from now on every request with it is refused (401)."""
    from models import repositories as repo
    from models.db import transaction

    with context.runtime() as runtime, transaction(runtime.sessions) as session:
        key = repo.get_api_key_by_ref(session, key_ref)
        if key is None:
            fail(f"no API key {key_ref!r}; `leerpad keys list --tenant T` shows the prefixes and ids", 2)
        owner = repo.get_tenant_by_id(session, key.tenant_id)
        what = f"{key.role} key {key.prefix} (id {key.id}) of tenant {owner.slug if owner else key.tenant_id}"
        if repo.revoke_api_key(session, key):
            typer.echo(f"revoked {what}")
        else:
            typer.echo(f"{what} was revoked already, on {when(key.revoked_at)} UTC")


@audit_app.command("purge")
def audit_purge(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """Delete the tenant's audit entries older than LEERPAD_AUDIT_RETENTION_DAYS (workers do it daily)."""
    from service.trust.audit import purge_audit

    with context.tenant_runtime(tenant) as runtime:
        outcome = purge_audit(runtime, tenant)
    typer.echo(
        f"audit entries deleted for {tenant}: {outcome['deleted']} "
        f"(older than {outcome['retention_days']} days, before {outcome['cutoff']})"
    )

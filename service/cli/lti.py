"""The LTI commands: `leerpad lti register` (an LMS as an LTI 1.3 platform of a tenant, the same use
case as POST /v1/lti/platforms) and `leerpad lti platforms` (what is registered)."""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli import context
from service.cli.context import DEFAULT_TENANT, TenantOption

lti_app = typer.Typer(help="LTI 1.3: the LMS platforms that launch Leerpad.", no_args_is_help=True)


@lti_app.command("register")
def lti_register(
    issuer: Annotated[
        str, typer.Option("--issuer", help="The platform's issuer (iss), e.g. https://moodle.example")
    ],
    client_id: Annotated[str, typer.Option("--client-id", help="The client id the platform gave this tool")],
    auth_url: Annotated[str, typer.Option("--auth-url", help="The platform's OIDC authentication URL")],
    token_url: Annotated[str, typer.Option("--token-url", help="The platform's access token URL")],
    jwks_url: Annotated[str, typer.Option("--jwks-url", help="The platform's public keyset URL")],
    deployment_id: Annotated[
        list[str], typer.Option("--deployment-id", help="A deployment id launches may carry (repeatable)")
    ],
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Register (or update) an LMS as an LTI 1.3 platform of the tenant."""
    from pydantic import ValidationError

    from models.db import transaction
    from service.lti.registration import register_platform
    from service.lti.schemas import PlatformIn

    try:
        platform = PlatformIn(
            issuer=issuer,
            client_id=client_id,
            auth_login_url=auth_url,
            auth_token_url=token_url,
            key_set_url=jwks_url,
            deployment_ids=deployment_id,
        )
    except ValidationError as exc:
        context.fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), code=2)
    with context.tenant_runtime(tenant) as runtime, transaction(runtime.sessions) as session:
        tenant_id = context.known_tenant(session, tenant).id
        stored = register_platform(session, tenant_id, platform)
    typer.echo(
        f"registered LTI platform {stored.issuer} (client id {stored.client_id}) for tenant {tenant}, "
        f"deployments: {', '.join(stored.deployment_ids)}"
    )


@lti_app.command("platforms")
def lti_platforms(tenant: TenantOption = DEFAULT_TENANT) -> None:
    """The LMS platforms registered for the tenant, one JSON object a line."""
    from models.db import transaction
    from service.lti.registration import list_platforms

    with context.tenant_runtime(tenant) as runtime, transaction(runtime.sessions) as session:
        platforms = list_platforms(session, context.known_tenant(session, tenant).id)
    for platform in platforms:
        typer.echo(platform.model_dump_json())

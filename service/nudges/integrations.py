"""A tenant's Slack app and Teams connection: stored with their secrets sealed (service.nudges.vault),
read back without them, and opened (secrets and all) only by the nudge job and the signed routes.
Teams' secret is the Azure Bot's client secret (or, in the fallback without buttons that come back,
the Workflows webhook URL); the bot's app id, tenant and Connector URL are settings, shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models import nudges_repository as nudges_repo
from models.tables import ChatIntegration
from service.core.settings import Settings
from service.http.errors import NotFound
from service.nudges.delivery import MULTI_TENANT_AUTHORITY, TeamsBot
from service.nudges.schemas import (
    MICROSOFT_LOGIN,
    TEAMS_SERVICE_URL,
    IntegrationOut,
    SlackIntegrationIn,
    TeamsIntegrationIn,
)
from service.nudges.vault import seal, unseal

SLACK = "slack"
TEAMS = "teams"
PLATFORMS = (SLACK, TEAMS)


@dataclass(frozen=True)
class OpenIntegration:
    """An integration with its secrets, for the job and the signed routes only."""

    platform: str
    settings: dict[str, Any]
    secrets: dict[str, Any]
    pulse_enabled: bool

    def slack_api_url(self, settings: Settings) -> str:
        return str(self.settings.get("api_url") or settings.slack_api_url)

    @property
    def teams_bot(self) -> TeamsBot | None:
        """The Azure Bot that posts Teams nudges, when a client secret was given (else the Workflows
        webhook posts them, and their buttons do not come back)."""
        secret = self.secrets.get("bot_app_secret")
        if self.platform != TEAMS or not secret:
            return None
        tenant = str(self.settings["bot_tenant_id"])
        return TeamsBot(
            app_id=str(self.settings["bot_app_id"]),
            app_secret=str(secret),
            tenant_id=tenant,
            authority=MULTI_TENANT_AUTHORITY if self.settings.get("bot_multi_tenant") else tenant,
            login_url=str(self.settings.get("bot_login_url") or MICROSOFT_LOGIN),
            service_url=str(self.settings.get("service_url") or TEAMS_SERVICE_URL),
        )


def _hint(secret: str) -> str:
    return "…" + secret[-4:]


def request_urls(settings: Settings, tenant_slug: str, platform: str) -> dict[str, str]:
    base = settings.public_url.rstrip("/")
    if platform == SLACK:
        return {
            "interactivity": f"{base}/slack/{tenant_slug}/interactions",
            "slash_command": f"{base}/slack/{tenant_slug}/commands",
        }
    return {"messaging_endpoint": f"{base}/teams/{tenant_slug}/messages"}


def present(settings: Settings, tenant_slug: str, row: ChatIntegration) -> IntegrationOut:
    opened = unseal(settings, row.secrets)
    secret = str(opened.get("bot_token") or opened.get("bot_app_secret") or opened.get("webhook_url") or "")
    teams = row.platform == TEAMS
    return IntegrationOut(
        platform=row.platform,  # type: ignore[arg-type]
        connected=True,
        secret_hint=_hint(secret),
        pulse_enabled=row.pulse_enabled,
        updated_at=row.updated_at,
        request_urls=request_urls(settings, tenant_slug, row.platform),
        bot_app_id=row.settings.get("bot_app_id"),
        delivery=("bot" if opened.get("bot_app_secret") else "webhook") if teams else None,
        bot_tenant_id=row.settings.get("bot_tenant_id") or None,
        service_url=row.settings.get("service_url") if teams and opened.get("bot_app_secret") else None,
    )


def connect_slack(
    session: Session, settings: Settings, tenant_id: int, tenant_slug: str, body: SlackIntegrationIn
) -> IntegrationOut:
    sealed = seal(settings, {"bot_token": body.bot_token, "signing_secret": body.signing_secret})
    shown = {"api_url": body.api_url} if body.api_url else {}
    row = nudges_repo.save_integration(session, tenant_id, SLACK, shown, sealed, body.pulse_enabled)
    return present(settings, tenant_slug, row)


def connect_teams(
    session: Session, settings: Settings, tenant_id: int, tenant_slug: str, body: TeamsIntegrationIn
) -> IntegrationOut:
    if body.bot_app_secret:
        sealed = seal(settings, {"bot_app_secret": body.bot_app_secret})
    else:
        sealed = seal(settings, {"webhook_url": body.webhook_url})
    shown = {
        "bot_app_id": body.bot_app_id,
        "bot_tenant_id": body.bot_tenant_id,
        "bot_multi_tenant": body.bot_multi_tenant,
        "service_url": body.service_url,
        "bot_login_url": body.bot_login_url,
        "bot_jwks_url": body.bot_jwks_url,
        "bot_issuer": body.bot_issuer,
    }
    row = nudges_repo.save_integration(session, tenant_id, TEAMS, shown, sealed, body.pulse_enabled)
    return present(settings, tenant_slug, row)


def read_integration(
    session: Session, settings: Settings, tenant_id: int, tenant_slug: str, platform: str
) -> IntegrationOut:
    row = nudges_repo.get_integration(session, tenant_id, platform)
    if row is None:
        raise NotFound(f"no {platform} integration; connect it with PUT /v1/integrations/{platform}")
    return present(settings, tenant_slug, row)


def disconnect(session: Session, tenant_id: int, platform: str) -> None:
    if not nudges_repo.delete_integration(session, tenant_id, platform):
        raise NotFound(f"no {platform} integration")


def open_integration(
    session: Session, settings: Settings, tenant_id: int, platform: str
) -> OpenIntegration | None:
    row = nudges_repo.get_integration(session, tenant_id, platform)
    if row is None:
        return None
    return OpenIntegration(row.platform, dict(row.settings), unseal(settings, row.secrets), row.pulse_enabled)

"""What the nudge routes read and answer: the tenant's Slack and Teams integrations (secrets go in,
never come out) and an employee's own nudge settings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from service.core.schemas import Strict

BOT_FRAMEWORK_KEYS = "https://login.botframework.com/v1/.well-known/keys"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
MICROSOFT_LOGIN = "https://login.microsoftonline.com/"
TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def _web_url(value: str, field: str) -> str:
    """https, or http to this machine (a local stand-in while testing)."""
    parts = urlsplit(value)
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not (parts.scheme == "https" or local) or not parts.hostname:
        raise ValueError(f"{field}: an https URL")
    return value


class SlackIntegrationIn(Strict):
    bot_token: str = Field(
        min_length=10,
        max_length=300,
        pattern=r"^xoxb-[A-Za-z0-9-]+$",
        description="The app's bot token (xoxb-...)",
    )
    signing_secret: str = Field(
        min_length=16,
        max_length=200,
        pattern=r"^[A-Za-z0-9]+$",
        description="Basic Information > Signing Secret",
    )
    pulse_enabled: bool = Field(
        default=False, strict=True, description="Send the learning pulse question, at most monthly"
    )
    api_url: str = Field(
        default="", max_length=2000, description="Slack's Web API base URL; empty: LEERPAD_SLACK_API_URL"
    )

    @field_validator("api_url")
    @classmethod
    def _api(cls, value: str) -> str:
        if value and not value.endswith("/"):
            value += "/"
        return _web_url(value, "api_url") if value else value


class TeamsIntegrationIn(Strict):
    """The tenant's own Azure Bot: its app id and client secret fetch a Bot Framework token, with which
    Leerpad posts each nudge card as a proactive 1:1 message (Bot Framework Connector); the card's
    Action.Submit clicks come back to the same bot's messaging endpoint. Without a secret, a Workflows
    webhook (`webhook_url`) can post the cards instead, but the Flow bot owns them then: their buttons
    do not come back to Leerpad."""

    bot_app_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9-]+$",
        description="The Azure Bot's Microsoft App ID: the audience of the tokens of Action.Submit posts",
    )
    bot_app_secret: str = Field(
        default="",
        max_length=500,
        pattern=r"^[\x21-\x7e]*$",
        description="A client secret of the bot's app registration (stored encrypted, never answered)",
    )
    bot_tenant_id: str = Field(
        default="",
        max_length=100,
        pattern=r"^[A-Za-z0-9.-]*$",
        description="The company's Microsoft Entra tenant (Directory) ID: the bot's token authority "
        "(single-tenant bot) and the tenant of the employees' chats; required with bot_app_secret",
    )
    bot_multi_tenant: bool = Field(
        default=False,
        strict=True,
        description="A multi-tenant bot registration: its token comes from the botframework.com tenant",
    )
    service_url: str = Field(
        default=TEAMS_SERVICE_URL,
        max_length=2000,
        description="The Bot Framework Connector of the tenant's region for Teams",
    )
    webhook_url: str = Field(
        default="",
        max_length=2000,
        description="Only without bot_app_secret: a Workflows webhook that posts the cards (their "
        "buttons do not come back)",
    )
    bot_login_url: str = Field(default=MICROSOFT_LOGIN, max_length=2000)
    bot_jwks_url: str = Field(default=BOT_FRAMEWORK_KEYS, max_length=2000)
    bot_issuer: str = Field(default=BOT_FRAMEWORK_ISSUER, max_length=300)
    pulse_enabled: bool = Field(default=False, strict=True)

    @field_validator("service_url", "bot_login_url")
    @classmethod
    def _base(cls, value: str, info: ValidationInfo) -> str:
        if not value.endswith("/"):
            value += "/"
        return _web_url(value, str(info.field_name))

    @field_validator("webhook_url", "bot_jwks_url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        return _web_url(value, str(info.field_name)) if value else value

    @model_validator(mode="after")
    def _one_way_to_post(self) -> TeamsIntegrationIn:
        if self.bot_app_secret and self.webhook_url:
            raise ValueError(
                "bot_app_secret or webhook_url: the bot posts the cards, a webhook is not used with it"
            )
        if not self.bot_app_secret and not self.webhook_url:
            raise ValueError(
                "bot_app_secret: the bot's client secret is required (or, without buttons, webhook_url)"
            )
        if self.bot_app_secret and not self.bot_tenant_id:
            raise ValueError(
                "bot_tenant_id: the company's Microsoft Entra tenant ID is required with the bot"
            )
        return self


class IntegrationOut(BaseModel):
    platform: Literal["slack", "teams"]
    connected: bool
    secret_hint: str  # the last characters of the token or webhook, to recognise it
    pulse_enabled: bool
    updated_at: datetime
    request_urls: dict[str, str]  # what to enter in the Slack app or the Azure Bot
    bot_app_id: str | None = None
    # Teams: "bot" (proactive messages from the Azure Bot; clicks come back) or "webhook" (Workflows)
    delivery: Literal["bot", "webhook"] | None = None
    bot_tenant_id: str | None = None
    service_url: str | None = None


class NudgePreferencesIn(Strict):
    opted_in: bool = Field(strict=True, description="Nothing is sent without it; false opts out")
    channel: Literal["slack", "teams"]
    address: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._:@-]+$",
        description="Slack: the member id (U0123ABCD); Teams: the user's Teams id (29:...) or their Microsoft "
        "Entra object id",
    )
    weekday: int = Field(default=0, ge=0, le=6, strict=True, description="0 Monday .. 6 Sunday")
    hour: int = Field(default=9, ge=0, le=23, strict=True, description="Local hour")
    timezone: str = Field(default="Europe/Amsterdam", max_length=64)
    frequency: Literal["weekly", "twice_weekly"] = "weekly"
    quiet_start: int | None = Field(default=None, ge=0, le=23, strict=True)
    quiet_end: int | None = Field(default=None, ge=0, le=23, strict=True)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: not an IANA time zone: {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _quiet_pair(self) -> NudgePreferencesIn:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet_start and quiet_end: give both or neither")
        return self


class NudgePreferencesOut(NudgePreferencesIn):
    employee_id: str
    updated_at: datetime

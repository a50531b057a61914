"""What the nudge routes read and answer: the tenant's Slack and Teams integrations (secrets go in,
never come out) and an employee's own nudge settings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from service.core.schemas import Strict

BOT_FRAMEWORK_KEYS = "https://login.botframework.com/v1/.well-known/keys"
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"


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
    webhook_url: str = Field(
        min_length=10, max_length=2000, description="The Workflows webhook URL the nudge cards are posted to"
    )
    bot_app_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9-]+$",
        description="The Azure Bot's Microsoft App ID: the audience of the tokens of Action.Submit posts",
    )
    bot_jwks_url: str = Field(default=BOT_FRAMEWORK_KEYS, max_length=2000)
    bot_issuer: str = Field(default=BOT_FRAMEWORK_ISSUER, max_length=300)
    pulse_enabled: bool = Field(default=False, strict=True)

    @field_validator("webhook_url", "bot_jwks_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _web_url(value, "url")


class IntegrationOut(BaseModel):
    platform: Literal["slack", "teams"]
    connected: bool
    secret_hint: str  # the last characters of the token or webhook, to recognise it
    pulse_enabled: bool
    updated_at: datetime
    request_urls: dict[str, str]  # what to enter in the Slack app or the Azure Bot
    bot_app_id: str | None = None


class NudgePreferencesIn(Strict):
    opted_in: bool = Field(strict=True, description="Nothing is sent without it; false opts out")
    channel: Literal["slack", "teams"]
    address: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._:@-]+$",
        description="Slack: the member id (U0123ABCD); Teams: the user's id or address the workflow posts to",
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

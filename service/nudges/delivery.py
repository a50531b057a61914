"""Sending a nudge: to Slack with slack-sdk's WebClient (chat.postMessage to the employee's user id,
which Slack delivers as a direct message from the app), to Teams as an Adaptive Card posted to the
tenant's Workflows webhook. A failure is a `DeliveryFailed` with Slack's or Teams' Retry-After when
one came with a 429; the nudge job then tries again later (schedule.backoff). The SDK's own retry
handlers are off: the job's back-off, kept in the nudge row, is the one retry policy, and no worker
sleeps on a rate limit."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after") if headers else None
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class SlackSender:
    token: str
    base_url: str

    def client(self) -> WebClient:
        return WebClient(token=self.token, base_url=self.base_url, timeout=TIMEOUT_SECONDS, retry_handlers=[])

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        """chat.postMessage; returns where the message is (channel, ts), to replace it later."""
        try:
            answer = self.client().chat_postMessage(channel=channel, text=text, blocks=blocks, mrkdwn=False)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            raise DeliveryFailed(
                f"slack {status}: {error or 'error'}",
                _retry_after(exc.response.headers) if status == 429 else None,
            ) from exc
        except (SlackClientError, OSError) as exc:
            raise DeliveryFailed(f"slack: {type(exc).__name__}: {exc}") from exc
        return {"channel": answer.get("channel"), "ts": answer.get("ts")}


@dataclass(frozen=True)
class TeamsSender:
    webhook_url: str

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.webhook_url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (https checked on save)
                return {"status": answer.status}
        except urllib.error.HTTPError as exc:
            retry = _retry_after(exc.headers) if exc.code == 429 else None
            raise DeliveryFailed(f"teams {exc.code}: {exc.reason}", retry) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryFailed(f"teams: {type(exc).__name__}: {exc}") from exc

"""Sending a nudge: to Slack with slack-sdk's WebClient (chat.postMessage to the employee's user id,
which Slack delivers as a direct message from the app); to Teams as an Adaptive Card in a proactive
1:1 message from the tenant's own Azure Bot, through the Bot Framework Connector's REST API
(`TeamsBot`), so that the card's Action.Submit clicks come back to that bot's messaging endpoint
(/teams/{tenant}/messages). The older Workflows webhook (`TeamsWebhookSender`) stays as a fallback
for a tenant without a bot secret: the Flow bot posts those cards, and their buttons do not come back.

A failure is a `DeliveryFailed` with Slack's or Microsoft's Retry-After when one came with a 429; the
nudge job then tries again later (schedule.backoff). The SDK's own retry handlers are off: the job's
back-off, kept in the nudge row, is the one retry policy, and no worker sleeps on a rate limit.

Teams, step by step (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference):
a token with the client-credentials grant (POST {login}/{bot tenant or botframework.com}/oauth2/v2.0/token,
scope https://api.botframework.com/.default), kept until five minutes before it expires; the 1:1
conversation with the employee (POST {serviceUrl}/v3/conversations; Teams answers with the same
conversation for the same user, and the job passes the one it last used); the card (POST
{serviceUrl}/v3/conversations/{id}/activities); after a click, the card replaced by its thank-you
line (PUT .../activities/{activityId}). These are plain HTTPS calls with httpx rather than Microsoft's
Python Bot Framework SDK: botframework-connector brings msrest (archived) and azure-core, and its
credentials go through msal, which takes only an https authority and first asks Microsoft's instance
discovery, so neither can be pointed at a local stand-in; the Teams SDK (microsoft-teams-api) is
async-only and marks its token client deprecated. Four documented requests are clearer than either."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

TIMEOUT_SECONDS = 10
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
MULTI_TENANT_AUTHORITY = "botframework.com"  # where a multi-tenant bot registration gets its token
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
TOKEN_MARGIN_SECONDS = 300  # a token is renewed five minutes before it expires
MAX_REASON = 200


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
class TeamsWebhookSender:
    """The fallback without a bot secret: the card goes to a Workflows webhook ("Post card in a chat
    with Flow bot"). The Flow bot owns what it posts: the card's Action.Submit clicks do not reach
    Leerpad."""

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


# --- Teams through the tenant's Azure Bot ---------------------------------------------------------

_http: httpx.Client | None = None
_http_lock = threading.Lock()
_tokens: dict[
    tuple[str, str, str], tuple[str, float]
] = {}  # (token URL, app id, secret hash) -> token, expiry
_tokens_lock = threading.Lock()


def _client() -> httpx.Client:
    """One HTTP client (and its connection pool) for every Teams call of this process, made on first use."""
    global _http
    with _http_lock:
        if _http is None:
            _http = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        return _http


def _error_code(answer: httpx.Response) -> str:
    """What Microsoft said went wrong, short: the Connector's error.code, or the OAuth error."""
    try:
        body = answer.json()
    except ValueError:
        return answer.reason_phrase or "error"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        error = error.get("code") or error.get("message")
    return str(error or answer.reason_phrase or "error")[:MAX_REASON]


@dataclass(frozen=True)
class TeamsBot:
    """The tenant's Azure Bot, as the Bot Framework Connector knows it."""

    app_id: str
    app_secret: str
    tenant_id: str  # the company's Microsoft Entra tenant: where the employees' chats are
    authority: str  # the token's tenant: the bot's own (single-tenant) or botframework.com
    login_url: str  # https://login.microsoftonline.com/
    service_url: str  # the Connector of the tenant's region, ending in /

    @property
    def token_url(self) -> str:
        return f"{self.login_url}{self.authority}/oauth2/v2.0/token"

    def _token_key(self) -> tuple[str, str, str]:
        return (self.token_url, self.app_id, hashlib.sha256(self.app_secret.encode()).hexdigest())

    def _call(self, what: str, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = _client().request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"teams {what}: {type(exc).__name__}: {exc}"[:MAX_REASON]) from exc
        if answer.status_code == 401 and what != "token":
            self.forget_token()  # the next attempt asks for a new one
        if answer.status_code >= 400:
            retry = _retry_after(answer.headers) if answer.status_code == 429 else None
            raise DeliveryFailed(f"teams {what} {answer.status_code}: {_error_code(answer)}", retry)
        try:
            body = answer.json() if answer.content else {}
        except ValueError as exc:
            raise DeliveryFailed(f"teams {what} {answer.status_code}: the answer is not JSON") from exc
        return body if isinstance(body, dict) else {}

    def token(self) -> str:
        """A Bot Framework token by the client-credentials grant, reused until five minutes before it
        expires."""
        key = self._token_key()
        with _tokens_lock:
            kept = _tokens.get(key)
        if kept is not None and kept[1] > time.monotonic():
            return kept[0]
        body = self._call(
            "token",
            "POST",
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "scope": BOT_FRAMEWORK_SCOPE,
            },
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise DeliveryFailed("teams token: no access_token in the answer")
        lifetime = float(body.get("expires_in") or 0)
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS))
        return token

    def forget_token(self) -> None:
        with _tokens_lock:
            _tokens.pop(self._token_key(), None)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def open_conversation(self, member: str) -> str:
        """The 1:1 conversation of the bot with the employee (their Teams id "29:..." or Microsoft Entra
        object id); Teams answers with the existing one when there is one."""
        body = self._call(
            "conversation",
            "POST",
            f"{self.service_url}v3/conversations",
            headers=self._headers(),
            json={
                "bot": {"id": f"28:{self.app_id}"},
                "members": [{"id": member}],
                "isGroup": False,
                "tenantId": self.tenant_id,
                "channelData": {"tenant": {"id": self.tenant_id}},
            },
        )
        conversation = body.get("id")
        if not isinstance(conversation, str) or not conversation:
            raise DeliveryFailed("teams conversation: no conversation id in the answer")
        return conversation

    @staticmethod
    def activity(card: dict[str, Any]) -> dict[str, Any]:
        return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}

    def post_card(self, member: str, card: dict[str, Any], conversation: str | None = None) -> dict[str, Any]:
        """The card as a message in the employee's 1:1 conversation with the bot; where it is (service
        URL, conversation, activity), to replace it after a click. A conversation kept from an earlier
        nudge is used first; if Teams no longer knows it, a new one is opened."""
        reused = conversation is not None
        conversation = conversation or self.open_conversation(member)
        try:
            sent = self._post_activity(conversation, card)
        except DeliveryFailed as exc:
            if not reused or not exc.reason.startswith(("teams activity 403", "teams activity 404")):
                raise
            conversation = self.open_conversation(member)
            sent = self._post_activity(conversation, card)
        return {
            "bot_app_id": self.app_id,
            "service_url": self.service_url,
            "conversation_id": conversation,
            "activity_id": sent,
        }

    def _post_activity(self, conversation: str, card: dict[str, Any]) -> str:
        body = self._call(
            "activity",
            "POST",
            f"{self.service_url}v3/conversations/{_segment(conversation)}/activities",
            headers=self._headers(),
            json=self.activity(card),
        )
        return str(body.get("id") or "")

    def update_card(self, ref: dict[str, Any], card: dict[str, Any]) -> None:
        """Replace a posted card (its buttons go) by another one."""
        conversation, activity = str(ref["conversation_id"]), str(ref["activity_id"])
        service_url = str(ref.get("service_url") or self.service_url)
        self._call(
            "update",
            "PUT",
            f"{service_url}v3/conversations/{_segment(conversation)}/activities/{_segment(activity)}",
            headers=self._headers(),
            json={**self.activity(card), "id": activity},
        )


def _segment(value: str) -> str:
    """A conversation or activity id as one URL path segment (Teams' ids hold ':', '@', ';' and '=')."""
    return quote(value, safe=":@;=-_.")

"""Local HTTP servers that stand in for Slack's Web API, a Teams Workflows webhook, the Microsoft
identity platform's token endpoint, the Bot Framework Connector and the Bot Framework's key set (the
outside services this machine cannot reach), and signers for what Slack and Teams send back. Each
server records every request as received and answers from a script (per path, then for any path),
else from its responder (`BotConnector`: the token and Connector endpoints as Microsoft documents
them, refusing a payload that is not exactly right), else with its default."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, dict[str, str], Any]


@dataclass
class StandIn:
    url: str
    requests: list[Received] = field(default_factory=list)
    # answers, first used first; when empty: the responder's answer, else 200 with `default`
    script: list[Answer] = field(default_factory=list)
    # the same per path: the first key the request's path ends with, used before `script`
    path_script: dict[str, list[Answer]] = field(default_factory=dict)
    respond: Callable[[Received], Answer] | None = None
    default: Any = None
    static: dict[str, Any] = field(default_factory=dict)  # GET path -> JSON

    def calls(self, path_end: str, method: str | None = None) -> list[Received]:
        return [
            r for r in self.requests if r.path.endswith(path_end) and (method is None or r.method == method)
        ]

    def answer(self, request: Received) -> Answer:
        for path_end, answers in self.path_script.items():
            if request.path.endswith(path_end) and answers:
                return answers.pop(0)
        if self.script:
            return self.script.pop(0)
        if self.respond is not None:
            return self.respond(request)
        return (200, {}, self.default)


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, headers: dict[str, str], body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer(200, {}, state.static.get(self.path, {}))

        def _receive(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            received = Received(
                method, unquote(self.path), {k.lower(): v for k, v in self.headers.items()}, body
            )
            state.requests.append(received)
            self._answer(*state.answer(received))

        def do_POST(self) -> None:
            self._receive("POST")

        def do_PUT(self) -> None:
            self._receive("PUT")

    return Handler


@contextmanager
def stand_in(default: Any = None) -> Iterator[StandIn]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(StandIn("")))
    state = StandIn(f"http://127.0.0.1:{server.server_address[1]}/", default=default)
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


SLACK_OK = {"ok": True, "channel": "D0NUDGE", "ts": "1733300000.000100"}


def slack_signed(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: v0 HMAC-SHA256 of "v0:<timestamp>:<body>" with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slack_click(user: str, action_id: str, value: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "actions": [{"action_id": action_id, "value": value, "type": "button"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


class BotKeys:
    """An RSA key pair as the Bot Framework's: its JWKS, and tokens signed with it."""

    def __init__(self, kid: str = "bf-test-key") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}

    def token(
        self, audience: str, issuer: str = "https://api.botframework.com", expires_in: int = 300
    ) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience, "iat": now, "nbf": now, "exp": now + expires_in}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


# --- the Microsoft identity platform and the Bot Framework Connector ------------------------------

BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def _connector_error(status: int, code: str, message: str) -> Answer:
    return (status, {}, {"error": {"code": code, "message": message}})


@dataclass
class BotConnector:
    """The token endpoint (POST /{tenant}/oauth2/v2.0/token, the client-credentials grant) and the
    Connector (POST /v3/conversations, POST /v3/conversations/{id}/activities, PUT
    /v3/conversations/{id}/activities/{activityId}) of one Azure Bot in one Entra tenant, as
    Microsoft documents them: each request is answered only when its form or JSON is exactly what
    the protocol asks, with a token this endpoint issued; anything else gets Microsoft's error."""

    app_id: str
    app_secret: str
    tenant_id: str
    authority: str = ""  # the token's tenant; empty: tenant_id (a single-tenant bot)
    issued: list[str] = field(default_factory=list)
    conversations: dict[str, str] = field(default_factory=dict)  # member -> conversation id
    activities: dict[str, list[str]] = field(default_factory=dict)  # conversation id -> activity ids
    cards: list[dict[str, Any]] = field(default_factory=list)  # every card posted or put, in order

    def respond(self, request: Received) -> Answer:
        token_path = f"/{self.authority or self.tenant_id}/oauth2/v2.0/token"
        if request.method == "POST" and request.path == token_path:
            return self._token(request)
        start = request.path.find("/v3/conversations")  # after the service URL's own path (/emea/)
        if start < 0:
            return (404, {}, {"error": "not_found"})
        path = request.path[start:]
        if request.headers.get("authorization") not in {f"Bearer {t}" for t in self.issued}:
            return _connector_error(401, "Unauthorized", "Authorization has been denied for this request.")
        try:
            body = request.json()
        except ValueError:
            return _connector_error(400, "BadSyntax", "not JSON")
        parts = path.split("/")  # '', 'v3', 'conversations', id, 'activities', activity id
        if request.method == "POST" and len(parts) == 3:
            return self._conversation(body)
        if len(parts) >= 5 and parts[4] == "activities" and parts[3] in self.activities:
            if request.method == "POST" and len(parts) == 5:
                return self._activity(parts[3], body)
            if request.method == "PUT" and len(parts) == 6 and parts[5] in self.activities[parts[3]]:
                return self._update(parts[5], body)
        return _connector_error(404, "ConversationNotFound", "Conversation not found.")

    def _token(self, request: Received) -> Answer:
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return (400, {}, {"error": "invalid_request", "error_description": "AADSTS900144: form expected"})
        form = {name: values for name, values in parse_qs(request.body.decode()).items()}
        expected = {
            "grant_type": ["client_credentials"],
            "client_id": [self.app_id],
            "client_secret": [self.app_secret],
            "scope": [BOT_FRAMEWORK_SCOPE],
        }
        if form.keys() != expected.keys() or form["grant_type"] != expected["grant_type"]:
            return (400, {}, {"error": "invalid_request", "error_description": "AADSTS900144"})
        if form["client_id"] != expected["client_id"] or form["client_secret"] != expected["client_secret"]:
            return (401, {}, {"error": "invalid_client", "error_description": "AADSTS7000215"})
        if form["scope"] != expected["scope"]:
            return (400, {}, {"error": "invalid_scope", "error_description": "AADSTS70011"})
        token = f"bf-token-{len(self.issued) + 1}"
        self.issued.append(token)
        return (
            200,
            {},
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token},
        )

    def _conversation(self, body: Any) -> Answer:
        members = body.get("members") if isinstance(body, dict) else None
        member = members[0].get("id") if isinstance(members, list) and len(members) == 1 else None
        expected = {
            "bot": {"id": f"28:{self.app_id}"},
            "members": [{"id": member}],
            "isGroup": False,
            "tenantId": self.tenant_id,
            "channelData": {"tenant": {"id": self.tenant_id}},
        }
        if not isinstance(member, str) or not member or body != expected:
            return _connector_error(400, "BadArgument", "Failed to create conversation.")
        conversation = self.conversations.setdefault(member, f"a:1conv-{len(self.conversations) + 1}")
        self.activities.setdefault(conversation, [])
        return (201, {}, {"id": conversation})

    def _card(self, body: Any) -> dict[str, Any] | None:
        attachments = body.get("attachments") if isinstance(body, dict) else None
        if body.get("type") != "message" or not isinstance(attachments, list) or len(attachments) != 1:
            return None
        attachment = attachments[0]
        content = attachment.get("content")
        if attachment.get("contentType") != ADAPTIVE_CARD or not isinstance(content, dict):
            return None
        return content if content.get("type") == "AdaptiveCard" else None

    def _activity(self, conversation: str, body: Any) -> Answer:
        card = self._card(body)
        if card is None or set(body) != {"type", "attachments"}:
            return _connector_error(400, "BadArgument", "Unknown attachment type")
        activity = f"1:{len(self.cards) + 1}"
        self.activities[conversation].append(activity)
        self.cards.append(card)
        return (201, {}, {"id": activity})

    def _update(self, activity: str, body: Any) -> Answer:
        card = self._card(body)
        if card is None or body.get("id") != activity:
            return _connector_error(400, "BadArgument", "Unknown attachment type")
        self.cards.append(card)
        return (200, {}, {"id": activity})


@contextmanager
def bot_connector(connector: BotConnector) -> Iterator[StandIn]:
    """One local server for the token endpoint, the Connector and (with `static`) the key set."""
    with stand_in() as server:
        server.respond = connector.respond
        yield server

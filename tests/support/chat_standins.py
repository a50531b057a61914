"""Local HTTP servers that stand in for Slack's Web API, a Teams Workflows webhook and the Bot
Framework's key set (the outside services this machine cannot reach), and signers for what Slack and
Teams send back. Each server records every request as received and answers from a script."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

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


@dataclass
class StandIn:
    url: str
    requests: list[Received] = field(default_factory=list)
    # answers, first used first; when empty: 200 with `default`
    script: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    default: Any = None
    static: dict[str, Any] = field(default_factory=dict)  # GET path -> JSON

    def calls(self, path_end: str) -> list[Received]:
        return [r for r in self.requests if r.path.endswith(path_end)]


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

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append(
                Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if state.script:
                self._answer(*state.script.pop(0))
            else:
                self._answer(200, {}, state.default)

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

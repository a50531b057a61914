"""An LTI 1.3 platform emulated for the tests: its RSA key (made by cryptography), its JWKS served over
HTTP on 127.0.0.1 by a small server thread (the tool fetches it as from a real LMS), and the
id_tokens it signs with PyJWT. Offline: nothing leaves the machine."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "leerpad-client"
DEPLOYMENT_ID = "deployment-1"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Platform:
    """The platform's issuer (one per test: an issuer and client id name one registration across all
    tenants), its key and kid, and its JWKS URL once served."""

    issuer: str = field(default_factory=lambda: f"https://lms-{uuid.uuid4().hex[:8]}.example")
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "platform-key-1"
    jwks_url: str = ""

    @property
    def auth_url(self) -> str:
        return f"{self.issuer}/mod/lti/auth.php"

    @property
    def return_url(self) -> str:
        return f"{self.issuer}/mod/lti/contentitem_return.php"

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def registration(self, deployments: tuple[str, ...] = (DEPLOYMENT_ID,)) -> dict[str, Any]:
        """The body of POST /v1/lti/platforms for this platform."""
        return {
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "auth_login_url": self.auth_url,
            "auth_token_url": f"{self.issuer}/mod/lti/token.php",
            "key_set_url": self.jwks_url,
            "deployment_ids": list(deployments),
        }

    def id_token(
        self,
        nonce: str,
        sub: str,
        roles: tuple[str, ...] = (LEARNER,),
        message_type: str = "LtiResourceLinkRequest",
        signing_key: rsa.RSAPrivateKey | None = None,
        expires_in: int = 300,
        **claims: Any,
    ) -> str:
        """A signed id_token as the platform posts it to the tool's launch URL; `claims` override."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": sub,
            "nonce": nonce,
            "iat": now - 5,
            "exp": now + expires_in,
            "name": "Test Learner",
            LTI + "deployment_id": DEPLOYMENT_ID,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "roles": list(roles),
            LTI + "target_link_uri": "https://testserver/lti/launch",
            LTI + "resource_link": {"id": "link-1", "title": "Leerpad"},
            LTI + "launch_presentation": {
                "locale": "en",
                "return_url": f"{self.issuer}/course/view.php?id=1",
            },
        }
        if message_type == "LtiDeepLinkingRequest":
            body.pop(LTI + "resource_link")
            body[DL + "deep_linking_settings"] = {
                "deep_link_return_url": self.return_url,
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": "opaque-platform-data",
            }
        body.update(claims)
        return jwt.encode(body, signing_key or self.key, algorithm="RS256", headers={"kid": self.kid})


@contextmanager
def served(platform: Platform) -> Iterator[Platform]:
    """Serve the platform's JWKS on 127.0.0.1 while the block runs; sets `platform.jwks_url`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(platform.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    platform.jwks_url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()


def auth_request(platform: Platform, location: str) -> dict[str, str]:
    """The parameters of the tool's redirect to the platform's authentication URL."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == platform.auth_url, location
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def new_sub() -> str:
    return f"lms-user-{uuid.uuid4().hex[:8]}"

"""The tool's own key pair: it signs the deep-linking responses, and /lti/jwks serves its public half
so that platforms can check them. Only the public key ever leaves this module's callers as JSON.

Made once, the first time it is needed, and kept in the database (models.tables.LtiToolKey) rather
than in a file under the home directory: every worker and replica of the service must sign with
the one key the platforms fetched, and the database is what they all share (a file under one
machine's home is not). The private key is therefore as sensitive as a database backup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.registration import Registration
from sqlalchemy.orm import Session

from models import lti_repository as lti_repo

KEY_BITS = 2048


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_key_pem: str
    public_key_pem: str


def tool_key(session: Session) -> ToolKey:
    """The tool's key pair, made and stored now if there is none yet."""
    stored = lti_repo.tool_key(session)
    if stored is None:
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        private_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        public_pem = (
            private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )
        kid = str(Registration.get_jwk(public_pem)["kid"])  # the key's RFC 7638 thumbprint
        lti_repo.add_tool_key(session, kid, private_pem, public_pem)
        stored = lti_repo.tool_key(session)
        assert stored is not None
    return ToolKey(stored.kid, stored.private_key_pem, stored.public_key_pem)


def tool_jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The public JWK set: the public key, its kid, RS256; never the private parts."""
    public = dict(Registration.get_jwk(tool_key(session).public_key_pem))
    return {"keys": [{k: v for k, v in public.items() if k in ("kty", "e", "n", "kid", "alg", "use")}]}

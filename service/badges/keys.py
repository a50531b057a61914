"""Each tenant's badge signing key, and the secret that protects it.

One ES256 (P-256) key pair per tenant, made the first time the tenant issues a badge and kept in the
database (models.tables.BadgeIssuer), because every worker and replica must sign with the one key
whose public half /badges/issuers/{tenant}/jwks.json serves. The private half is stored as PKCS#8
encrypted with a password derived from a secret that lives outside the database
(LEERPAD_BADGE_KEY_SECRET, else LEERPAD_HOME/badge-key.secret): a dump of the database alone signs
nothing. joserfc writes and reads the encrypted PEM itself (`as_pem(password=...)`).

ES256 rather than EdDSA: every JOSE library and every Open Badges 3.0 verifier knows it (VC-JOSE-COSE
names both), and RFC 9864 is renaming EdDSA's algorithm identifiers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from models import badges_repository as repo
from models.tables import BadgeIssuer
from service.core.home_secret import home_secret
from service.core.settings import Settings

ALGORITHM = "ES256"
SECRET_FILE = "badge-key.secret"
PUBLIC_PARTS = ("kty", "crv", "x", "y", "kid", "alg", "use")


def badge_secret(settings: Settings) -> bytes:
    """The secret behind key encryption and badge identities (made on first use when not configured)."""
    if settings.badge_key_secret:
        return settings.badge_key_secret.encode()
    return home_secret(settings.resolved_home / SECRET_FILE, lambda: secrets.token_hex(32)).encode()


def _derived(secret: bytes, purpose: str) -> str:
    return hmac.new(secret, purpose.encode(), hashlib.sha256).hexdigest()


def employee_identity(settings: Settings, tenant_id: int, employee_key: str) -> str:
    """The pseudonymous identifier a badge names its holder by: the same for every badge of one
    employee, and nothing leads back to the employee id without the secret."""
    return _derived(badge_secret(settings), f"identity:{tenant_id}:{employee_key}")[:32]


def signing_key(session: Session, settings: Settings, issuer: BadgeIssuer) -> ECKey:
    """The tenant's private key, made and stored (encrypted) now if it has none yet."""
    password = _derived(badge_secret(settings), "badge-signing-key")
    if issuer.private_key_pem is None:
        key = ECKey.generate_key("P-256", private=True)
        kid = key.thumbprint()  # RFC 7638: unique per key, so a presented badge's kid finds its tenant
        public = key.as_dict(private=False)
        public_jwk = {
            **{k: v for k, v in public.items() if k in PUBLIC_PARTS},
            "kid": kid,
            "alg": ALGORITHM,
            "use": "sig",
        }
        pem = key.as_pem(private=True, password=password).decode("ascii")
        # kept only if no one stored a key meanwhile (two first badges at once); `issuer` then holds
        # the key that is stored, whichever it is
        repo.store_signing_key(session, issuer, pem, kid, public_jwk)
    if issuer.private_key_pem is None:
        raise RuntimeError(f"the badge issuer of tenant {issuer.tenant_id} has no signing key")
    return ECKey.import_key(issuer.private_key_pem, password=password)


def public_key(issuer: BadgeIssuer) -> ECKey | None:
    return ECKey.import_key(issuer.public_jwk) if issuer.public_jwk else None


def public_jwks(issuer: BadgeIssuer | None) -> dict[str, list[dict[str, Any]]]:
    """The JWK Set verifiers fetch: the public key only, never the private parts."""
    if issuer is None or not issuer.public_jwk:
        return {"keys": []}
    return {"keys": [{k: v for k, v in issuer.public_jwk.items() if k in PUBLIC_PARTS}]}


def sign(session: Session, settings: Settings, issuer: BadgeIssuer, claims: dict[str, Any]) -> str:
    """A JWT-VC (VC-JOSE-COSE): the credential as the JWT's claims, typ vc+jwt, the key's kid."""
    key = signing_key(session, settings, issuer)
    header = {"alg": ALGORITHM, "typ": "vc+jwt", "cty": "vc", "kid": issuer.kid}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def issuer_of_kid(session: Session, kid: str) -> BadgeIssuer | None:
    return repo.issuer_by_kid(session, kid)

"""Open Badges from another issuer, made in the test: an ES256 key pair, a signed OB 3.0 JWT-VC (signed
with PyJWT, not with the code under test) and a PNG baked with it."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from PIL import Image, PngImagePlugin

OTHER_ISSUER = "https://badges.example.org/issuers/academy"
OTHER_KID = "academy-1"


def issuer_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(private: ec.EllipticCurvePrivateKey, kid: str = OTHER_KID) -> dict[str, Any]:
    return dict(json.loads(ECAlgorithm.to_jwk(private.public_key()))) | {"kid": kid}


def trusted_issuer_body(private: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """What PUT /v1/badges/trusted-issuers takes for this issuer."""
    return {"issuer": OTHER_ISSUER, "name": "Academy", "jwks": {"keys": [public_jwk(private)]}}


def other_issuer_badge(
    private: ec.EllipticCurvePrivateKey,
    *,
    target_url: str | None = None,
    target_name: str = "Query tuning",
    kid: str = OTHER_KID,
) -> str:
    """An OpenBadgeCredential of OTHER_ISSUER as a JWT-VC, aligned to one skill."""
    alignment: dict[str, Any] = {"type": ["Alignment"], "targetName": target_name}
    alignment["targetUrl"] = target_url or f"https://badges.example.org/skills/{uuid.uuid4()}"
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": OTHER_ISSUER, "type": ["Profile"], "name": "Academy"},
        "validFrom": "2026-01-05T10:00:00Z",
        "name": target_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://badges.example.org/achievements/1",
                "type": ["Achievement"],
                "name": target_name,
                "description": "Shown in an exam.",
                "criteria": {"narrative": "Passed the exam."},
                "alignment": [alignment],
            },
        },
    }
    claims = {**credential, "iss": OTHER_ISSUER, "jti": credential["id"]}
    return pyjwt.encode(claims, private, algorithm="ES256", headers={"kid": kid, "typ": "vc+jwt"})


def baked(token: str) -> bytes:
    """A PNG baked as Open Badges 3.0 says: an iTXt chunk `openbadgecredential` holding the JWT."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("openbadgecredential", token)
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "orange").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def signed_ob2_assertion(private: ec.EllipticCurvePrivateKey, target_url: str, kid: str = OTHER_KID) -> str:
    """An Open Badges 2.0 signed assertion (a JWS whose payload is the Assertion) of OTHER_ISSUER."""
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": f"urn:uuid:{uuid.uuid4()}",
        "recipient": {"type": "email", "hashed": True, "identity": "sha256$" + "0" * 64},
        "issuedOn": "2025-11-20T10:00:00Z",
        "badge": {
            "type": "BadgeClass",
            "id": "https://badges.example.org/badges/tuning",
            "name": "Query tuning (2.0)",
            "issuer": {"type": "Profile", "id": OTHER_ISSUER, "name": "Academy"},
            "alignment": [{"targetName": "Query tuning", "targetUrl": target_url}],
        },
        "verification": {"type": "SignedBadge", "creator": f"{OTHER_ISSUER}/key"},
    }
    payload = json.dumps(assertion).encode()
    return pyjwt.api_jws.encode(payload, private, algorithm="ES256", headers={"kid": kid})


def baked_svg(token: str) -> bytes:
    """An SVG baked as Open Badges 3.0 says: the JWT in an openbadges:credential element."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
        'width="10" height="10"><openbadges:credential><![CDATA['
        + token
        + ']]></openbadges:credential><circle cx="5" cy="5" r="4"/></svg>'
    ).encode()

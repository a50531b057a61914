"""The documents of Open Badges 3.0 as Leerpad writes them: the issuer Profile, the Achievement, the
OpenBadgeCredential (W3C Verifiable Credentials 2.0) and the revocation list (W3C Bitstring Status
List v1.0). Plain dictionaries; keys.sign turns a credential into its JWT-VC.

No JSON-LD processing anywhere: the proof is a JWS over the JSON (VC-JOSE-COSE), so the contexts are
named, never fetched or bundled."""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
ACHIEVEMENT_NAMESPACE = uuid.UUID("6f0c1f9e-4b7a-4d0b-9a55-1d1f6b0e7c21")  # Leerpad's, for stable ids


def issuer_url(public_url: str, tenant_slug: str) -> str:
    return f"{public_url}/badges/issuers/{tenant_slug}"


def status_list_url(public_url: str, tenant_slug: str) -> str:
    return f"{issuer_url(public_url, tenant_slug)}/status/1"


def jwks_url(public_url: str, tenant_slug: str) -> str:
    return f"{issuer_url(public_url, tenant_slug)}/jwks.json"


def verify_url(public_url: str, badge_key: str) -> str:
    return f"{public_url}/badges/{badge_key}/verify"


def profile(public_url: str, tenant_slug: str, tenant_name: str) -> dict[str, Any]:
    """The tenant as an issuer (an OB 3.0 Profile); its id is the URL this document is served at."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_url(public_url, tenant_slug),
        "type": ["Profile"],
        "name": tenant_name,
    }


@dataclass(frozen=True)
class AchievementFacts:
    key: str  # what it is for, stable: "skill:<skill key>:<level>" or "path:<path id>"
    name: str
    description: str
    criteria: str
    alignments: tuple[tuple[str, str], ...]  # (ESCO URI, skill label)


def achievement(tenant_slug: str, facts: AchievementFacts) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": f"urn:uuid:{uuid.uuid5(ACHIEVEMENT_NAMESPACE, f'{tenant_slug}|{facts.key}')}",
        "type": ["Achievement"],
        "achievementType": "Competency" if facts.key.startswith("skill:") else "LearningProgram",
        "name": facts.name,
        "description": facts.description,
        "criteria": {"narrative": facts.criteria},
    }
    if facts.alignments:
        found["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": label,
                "targetUrl": uri,
                "targetFramework": "ESCO",
                "targetType": "ceterms:Skill",
            }
            for uri, label in facts.alignments
        ]
    return found


def identity_object(identity: str, salt: str) -> dict[str, Any]:
    """OB 3.0's hashed IdentityObject: sha256 of the identity followed by the salt."""
    digest = hashlib.sha256((identity + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityType": "identifier",
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "salt": salt,
    }


def credential(
    *,
    public_url: str,
    tenant_slug: str,
    tenant_name: str,
    badge_key: str,
    facts: AchievementFacts,
    identity: str,
    salt: str,
    status_index: int,
    valid_from: datetime,
) -> dict[str, Any]:
    issuer = profile(public_url, tenant_slug, tenant_name)
    del issuer["@context"]
    status_list = status_list_url(public_url, tenant_slug)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{badge_key}",
        "type": list(CREDENTIAL_TYPE),
        "issuer": issuer,
        "validFrom": valid_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "name": facts.name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [identity_object(identity, salt)],
            "achievement": achievement(tenant_slug, facts),
        },
        "credentialStatus": {
            "id": f"{status_list}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": status_list,
        },
    }


def encoded_list(bits: bytes) -> str:
    """The bitstring GZIP-compressed, then multibase base64url without padding (the 'u' prefix)."""
    packed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def status_list_credential(
    public_url: str, tenant_slug: str, bits: bytes, valid_from: datetime
) -> dict[str, Any]:
    url = status_list_url(public_url, tenant_slug)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(public_url, tenant_slug),
        "validFrom": valid_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(bits),
        },
    }

"""What the badge routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field, field_validator

from service.core.schemas import Strict

MAX_JWKS_KEYS = 10
BadgeKey = Annotated[str, Path(min_length=1, max_length=40, description="The badge's id (a UUID)")]
TenantSlug = Annotated[str, Path(min_length=1, max_length=64, description="The issuing company's tenant")]


class BadgeSettings(BaseModel):
    enabled: bool = Field(
        description="Whether Leerpad issues badges and takes uploaded ones (off by default)"
    )
    evidence_level: int = Field(description="The level (0..5) a verified badge from elsewhere counts as")
    issuer: str | None = Field(description="The issuer's public id (URL), once a key exists")


class BadgeSettingsChange(Strict):
    enabled: bool | None = Field(default=None, strict=True)
    evidence_level: int | None = Field(default=None, ge=0, le=5, strict=True)


class Consent(Strict):
    consent: bool = Field(
        strict=True, description="The employee's own yes (true) or no (false) to receiving badges"
    )


class ConsentPublic(BaseModel):
    employee_id: str
    consent: bool


class BadgePublic(BaseModel):
    badge_id: str
    kind: str = Field(description="skill (a role skill at its target level) or path (a completed path)")
    name: str
    issued_at: datetime
    revoked: bool
    verify_url: str
    png_url: str


class BadgeDetail(BadgePublic):
    jwt: str = Field(description="The credential as a JWT-VC (VC-JOSE-COSE, ES256), as issued")
    credential: dict[str, Any] = Field(description="The JWT's claims: the OpenBadgeCredential")


class ReceivedBadgePublic(BaseModel):
    badge_id: str
    version: str
    issuer: str
    name: str
    verified: bool
    reason: str
    skills: list[int] = Field(description="Skills it counts as evidence for (verified badges only)")
    uploaded_at: datetime


class EmployeeBadges(BaseModel):
    employee_id: str
    consent: bool
    issued: list[BadgePublic]
    received: list[ReceivedBadgePublic]


class TrustedIssuerIn(Strict):
    issuer: str = Field(
        min_length=1, max_length=500, description="The issuer's id as its badges name it (URL or DID)"
    )
    name: str = Field(min_length=1, max_length=200)
    jwks: dict[str, Any] = Field(description="The issuer's public keys as a JWK Set ({'keys': [...]})")

    @field_validator("jwks")
    @classmethod
    def _public_keys_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        keys = value.get("keys")
        if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_JWKS_KEYS:
            raise ValueError(f"jwks.keys must list 1 to {MAX_JWKS_KEYS} keys")
        for index, key in enumerate(keys):
            if not isinstance(key, dict) or key.get("kty") not in ("EC", "RSA", "OKP"):
                raise ValueError(f"jwks.keys[{index}]: an EC, RSA or OKP public key")
            if any(part in key for part in ("d", "p", "q", "dp", "dq", "qi", "k")):
                raise ValueError(f"jwks.keys[{index}]: holds private parts; send the public key only")
        return {"keys": keys}


class TrustedIssuerPublic(BaseModel):
    issuer: str
    name: str
    keys: int

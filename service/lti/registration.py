"""Registering an LMS as an LTI 1.3 platform of a tenant: the one use case behind
`leerpad lti register` and POST /v1/lti/platforms, and the list both show.

The URLs must be https: a launch's trust rests on the keys fetched from the keyset URL and on the
login redirect going to the real platform. http is accepted for loopback hosts only, for a platform
run on the same machine while trying things out (and for the emulated platform of the tests)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from models import lti_repository as lti_repo
from models.tables import LtiPlatform
from recommender.errors import CONFLICT, LeerpadError
from service.lti.schemas import PlatformIn, PlatformPublic

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class LtiRegistrationError(LeerpadError):
    """A registration that cannot be stored; the message names the field."""


class LtiRegistrationConflict(LeerpadError):
    """The issuer and client id are registered to another tenant."""

    code = CONFLICT


def check_url(field: str, url: str) -> str:
    """An https URL (http only on a loopback host), else an error naming the field."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return url
    raise LtiRegistrationError(f"{field}: {url!r} must be an https URL (http only for localhost)")


def register_platform(session: Session, tenant_id: int, platform: PlatformIn) -> PlatformPublic:
    """Store (or update) the tenant's registration of this issuer and client id."""
    values = {
        "issuer": platform.issuer,
        "client_id": platform.client_id,
        "auth_login_url": check_url("auth_login_url", platform.auth_login_url),
        "auth_token_url": check_url("auth_token_url", platform.auth_token_url),
        "key_set_url": check_url("key_set_url", platform.key_set_url),
    }
    if not urlsplit(platform.issuer).scheme:
        raise LtiRegistrationError(f"issuer: {platform.issuer!r} must be a URL, as the platform sends it")
    existing = lti_repo.find_platform(session, platform.issuer, platform.client_id)
    if existing is not None and existing.tenant_id != tenant_id:
        raise LtiRegistrationConflict(
            f"issuer {platform.issuer!r} with client id {platform.client_id!r} is registered to another "
            "company: a launch could not tell which company it is for"
        )
    stored = lti_repo.save_platform(session, tenant_id, values, platform.deployment_ids)
    return platform_public(stored)


def platform_public(platform: LtiPlatform) -> PlatformPublic:
    return PlatformPublic(
        issuer=platform.issuer,
        client_id=platform.client_id,
        auth_login_url=platform.auth_login_url,
        auth_token_url=platform.auth_token_url,
        key_set_url=platform.key_set_url,
        deployment_ids=[d.deployment_id for d in platform.deployments],
    )


def list_platforms(session: Session, tenant_id: int) -> list[PlatformPublic]:
    return [platform_public(p) for p in lti_repo.tenant_platforms(session, tenant_id)]

"""Open Badges for anyone, without a key: what a verifier of a badge needs. The issuer's Profile, its
public keys (JWK Set) and its revocation list (Bitstring Status List), and the verification page.
They name no employee: a badge names its holder only by a salted hash."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from models import badges_repository as repo
from models.tables import utcnow
from service.badges import credentials as docs
from service.badges import issuing, pages
from service.badges.keys import public_jwks, sign
from service.badges.schemas import BadgeKey, TenantSlug
from service.http.deps import RuntimeDep, SessionDep
from service.http.errors import NotFound, problem_responses

router = APIRouter(prefix="/badges", tags=["badges (public)"])
VC_JWT = "application/vc+jwt"
MAX_PRESENTED = 20_000  # characters of a pasted credential


@router.get("/issuers/{tenant}", responses=problem_responses(404))
def issuer_profile(tenant: TenantSlug, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    """The issuer's Profile: the id every badge of this tenant names."""
    found, _ = issuing.public_issuer(session, tenant)
    return docs.profile(runtime.settings.public_url, found.slug, found.name)


@router.get("/issuers/{tenant}/jwks.json", responses=problem_responses(404))
def issuer_keys(tenant: TenantSlug, session: SessionDep) -> dict[str, Any]:
    """The issuer's public keys; a badge's JWT header names its key by `kid`."""
    _, issuer = issuing.public_issuer(session, tenant)
    return public_jwks(issuer)


@router.get(
    "/issuers/{tenant}/status/1",
    responses={**problem_responses(404), 200: {"content": {"application/json": {}, VC_JWT: {}}}},
)
def status_list(tenant: TenantSlug, request: Request, session: SessionDep, runtime: RuntimeDep) -> Any:
    """The revocation list (BitstringStatusListCredential): bit `statusListIndex` of a badge is 1 when
    it is revoked. JSON, or signed with the issuer's key as a JWT for `Accept: application/vc+jwt`."""
    found, issuer = issuing.public_issuer(session, tenant)
    now = utcnow().replace(microsecond=0)
    document = docs.status_list_credential(runtime.settings.public_url, found.slug, issuer.status_bits, now)
    if VC_JWT in request.headers.get("accept", ""):
        claims = {**document, "iss": document["issuer"], "iat": int(now.timestamp())}
        return Response(sign(session, runtime.settings, issuer, claims), media_type=VC_JWT)
    return document


@router.get("/{badge_id}/verify", response_class=HTMLResponse, responses=problem_responses(404))
def verify_page(badge_id: BadgeKey, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    """Whether the badge is valid, revoked or changed, and what it says (no login)."""
    badge = repo.public_badge(session, badge_id[:40])
    if badge is None:
        raise NotFound("no badge with this id was issued here (or it was deleted with its holder's data)")
    return HTMLResponse(pages.render(issuing.verify(session, runtime.settings, badge.token)))


@router.post("/verify", response_class=HTMLResponse, responses=problem_responses(422))
def verify_presented(
    credential: Annotated[str, Form(max_length=MAX_PRESENTED, description="A badge's JWT")],
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    """Check a pasted credential (its JWT) against this service's issuers."""
    return HTMLResponse(pages.render(issuing.verify(session, runtime.settings, credential.strip())))

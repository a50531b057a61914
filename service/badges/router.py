"""Open Badges for callers with a key: the tenant's switch and trusted issuers, an employee's consent,
badges and uploads, one badge as JSON or baked PNG, revocation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response

from models import badges_repository as repo
from models.tables import Badge, ReceivedBadge
from service.badges import credentials as docs
from service.badges import issuing, received
from service.badges.baking import baked_png
from service.badges.schemas import (
    BadgeDetail,
    BadgeKey,
    BadgePublic,
    BadgeSettings,
    BadgeSettingsChange,
    Consent,
    ConsentPublic,
    EmployeeBadges,
    ReceivedBadgePublic,
    TrustedIssuerIn,
    TrustedIssuerPublic,
)
from service.core.settings import Settings
from service.http.deps import Caller, CatalogManager, PeopleCaller, RuntimeDep, SessionDep, require
from service.http.errors import Unprocessable, problem_responses
from service.people.employees import load_employee

router = APIRouter(prefix="/v1", tags=["badges"])
AdminCaller = Annotated[Caller, Depends(require("admin"))]
EmployeeCaller = Annotated[Caller, Depends(require("employee"))]


def _settings(session: SessionDep, caller: Caller, settings: Settings) -> BadgeSettings:
    issuer = issuing.issuer_of(session, caller.tenant_id)
    url = docs.issuer_url(settings.public_url, caller.tenant_slug) if issuer.kid else None
    return BadgeSettings(enabled=issuer.enabled, evidence_level=issuer.evidence_level, issuer=url)


@router.get("/badges/settings", response_model=BadgeSettings, responses=problem_responses(401, 403))
def read_badge_settings(caller: CatalogManager, session: SessionDep, runtime: RuntimeDep) -> BadgeSettings:
    return _settings(session, caller, runtime.settings)


@router.put("/badges/settings", response_model=BadgeSettings, responses=problem_responses(401, 403, 422))
def change_badge_settings(
    body: BadgeSettingsChange, caller: AdminCaller, session: SessionDep, runtime: RuntimeDep
) -> BadgeSettings:
    """Turn badges on or off for the tenant (off by default; agree it with the works council, see
    docs/works-council.md), and set the level a verified badge from elsewhere counts as."""
    issuing.change_settings(session, caller.tenant_id, body.enabled, body.evidence_level)
    return _settings(session, caller, runtime.settings)


@router.get(
    "/badges/trusted-issuers", response_model=list[TrustedIssuerPublic], responses=problem_responses(401, 403)
)
def list_trusted_issuers(caller: CatalogManager, session: SessionDep) -> list[TrustedIssuerPublic]:
    return [
        TrustedIssuerPublic(issuer=t.issuer, name=t.name, keys=len(t.keys.get("keys", [])))
        for t in repo.trusted_issuers(session, caller.tenant_id)
    ]


@router.put(
    "/badges/trusted-issuers", response_model=TrustedIssuerPublic, responses=problem_responses(401, 403, 422)
)
def save_trusted_issuer(
    body: TrustedIssuerIn, caller: AdminCaller, session: SessionDep
) -> TrustedIssuerPublic:
    """Register (or replace) the public keys of an issuer whose badges employees may upload."""
    repo.save_trusted_issuer(session, caller.tenant_id, body.issuer.strip(), body.name.strip(), body.jwks)
    return TrustedIssuerPublic(
        issuer=body.issuer.strip(), name=body.name.strip(), keys=len(body.jwks["keys"])
    )


def _public(badge: Badge, settings: Settings) -> BadgePublic:
    return BadgePublic(
        badge_id=badge.badge_key,
        kind=badge.kind,
        name=badge.name,
        issued_at=badge.issued_at,
        revoked=badge.revoked_at is not None,
        verify_url=docs.verify_url(settings.public_url, badge.badge_key),
        png_url=f"/v1/badges/{badge.badge_key}?format=png",
    )


def _received(row: ReceivedBadge) -> ReceivedBadgePublic:
    return ReceivedBadgePublic(
        badge_id=row.badge_key,
        version=row.version,
        issuer=row.issuer,
        name=row.name,
        verified=row.verified,
        reason=row.reason,
        skills=list(row.skill_ids),
        uploaded_at=row.uploaded_at,
    )


@router.get(
    "/employees/{employee_id}/badges",
    response_model=EmployeeBadges,
    responses=problem_responses(401, 403, 404),
)
def list_badges(
    employee_id: str, caller: PeopleCaller, session: SessionDep, runtime: RuntimeDep
) -> EmployeeBadges:
    employee = load_employee(session, caller, employee_id)
    return EmployeeBadges(
        employee_id=employee.key,
        consent=issuing.has_consent(session, caller.tenant_id, employee),
        issued=[_public(b, runtime.settings) for b in repo.badges_of(session, caller.tenant_id, employee.id)],
        received=[_received(r) for r in repo.received_of(session, caller.tenant_id, employee.id)],
    )


@router.put(
    "/employees/{employee_id}/badges/consent",
    response_model=ConsentPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def change_consent(
    employee_id: str, body: Consent, caller: EmployeeCaller, session: SessionDep
) -> ConsentPublic:
    """The employee's own choice (their key only): badges are issued to them only after a yes."""
    employee = load_employee(session, caller, employee_id)
    issuing.set_consent(session, caller.tenant_id, employee, body.consent)
    return ConsentPublic(employee_id=employee.key, consent=body.consent)


@router.post(
    "/employees/{employee_id}/badges",
    response_model=list[BadgePublic],
    responses=problem_responses(401, 403, 404, 409),
)
def issue_badges(
    employee_id: str, caller: PeopleCaller, session: SessionDep, runtime: RuntimeDep
) -> list[BadgePublic]:
    """Issue the badges the employee has earned and not yet received: each skill of their role whose
    estimated level reached the target, each path whose every step they completed. 409 when the
    tenant has badges off or the employee has not consented."""
    employee = load_employee(session, caller, employee_id)
    issued = issuing.issue_earned(session, runtime.settings, caller.tenant_id, employee)
    return [_public(b, runtime.settings) for b in issued]


@router.post(
    "/employees/{employee_id}/badges/received",
    response_model=ReceivedBadgePublic,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def upload_badge(
    employee_id: str,
    caller: PeopleCaller,
    session: SessionDep,
    file: Annotated[
        UploadFile | None,
        File(description="An Open Badges 3.0 JWT-VC or baked PNG/SVG, or a signed 2.0 badge"),
    ] = None,
) -> ReceivedBadgePublic:
    """Upload a badge earned elsewhere; it is verified offline, and a verified badge aligned to skills of
    the tenant counts as evidence of them (source `badge`)."""
    employee = load_employee(session, caller, employee_id)  # who may, before what was sent
    if file is None:
        raise Unprocessable("file: send the badge as a multipart file field named 'file'")
    data = file.file.read(received.MAX_BADGE_BYTES + 1)
    return _received(received.receive(session, caller.tenant_id, employee, data))


@router.get(
    "/badges/{badge_id}",
    response_model=BadgeDetail,
    responses={**problem_responses(401, 403, 404), 200: {"content": {"image/png": {}}}},
)
def read_badge(
    badge_id: BadgeKey,
    caller: PeopleCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    format: Annotated[
        Literal["json", "png"], Query(description="json, or png: the image baked with the JWT")
    ] = "json",
) -> BadgeDetail | Response:
    badge = issuing.reachable_badge(session, caller, badge_id)
    if format == "png":
        tenant_name = caller.tenant_slug
        tenant = repo.tenant_by_id(session, caller.tenant_id)
        if tenant is not None:
            tenant_name = tenant.name
        return Response(
            baked_png(badge.name, tenant_name, badge.token),
            media_type="image/png",
            headers={"Content-Disposition": f'attachment; filename="badge-{badge.badge_key}.png"'},
        )
    return BadgeDetail(
        **_public(badge, runtime.settings).model_dump(),
        jwt=badge.token,
        credential=issuing.decoded(badge.token),
    )


@router.post(
    "/badges/{badge_id}/revoke", response_model=BadgePublic, responses=problem_responses(401, 403, 404)
)
def revoke_badge(
    badge_id: BadgeKey, caller: AdminCaller, session: SessionDep, runtime: RuntimeDep
) -> BadgePublic:
    """Revoke the badge: its bit in the tenant's status list is set, and verifiers see it revoked."""
    badge = issuing.reachable_badge(session, caller, badge_id)
    issuing.revoke(session, caller.tenant_id, badge)
    return _public(badge, runtime.settings)

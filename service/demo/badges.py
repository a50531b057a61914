"""The demo's Open Badges: Fietsjes B.V. turns badges on, employee e-002 says yes, uploads a badge a
(fictional) training academy issued for teamwork, and receives Leerpad's badges for the role skills
at their target level (Python from a test at level 4, teamwork from the verified upload)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from joserfc import jwt
from joserfc.jwk import ECKey

from models import badges_repository as badges_repo
from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from service.badges import issuing, received
from service.badges.baking import baked_png
from service.core.runtime import Runtime

EMPLOYEE = "e-002"
ACADEMY = "https://academy.example/issuers/fietsacademie"


def _academy_badge(key: ECKey) -> str:
    """An Open Badges 3.0 credential of the academy for teamwork, signed with its key."""
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ACADEMY, "type": ["Profile"], "name": "Fietsacademie"},
        "validFrom": "2026-03-02T09:00:00Z",
        "name": "Samenwerken in teams",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": f"{ACADEMY}/achievements/teamwork",
                "type": ["Achievement"],
                "name": "Samenwerken in teams",
                "description": "Works with others towards a shared result.",
                "criteria": {"narrative": "Assessed in a two-day team workshop."},
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "teamwork",
                        "targetUrl": f"{ACADEMY}/skills/teamwork",
                    }
                ],
            },
        },
    }
    claims = {**credential, "iss": ACADEMY, "jti": credential["id"]}
    return jwt.encode(
        {"alg": "ES256", "kid": "academy-2026", "typ": "vc+jwt"}, claims, key, algorithms=["ES256"]
    )


def load_badges(runtime: Runtime, tenant: str) -> Iterator[str]:
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        employee = people.get_employee(session, tenant_id, EMPLOYEE)
        if employee is None:
            yield f"{'badges':14} no {EMPLOYEE}: nothing issued"
            return
        issuer = issuing.issuer_of(session, tenant_id)
        issuer.enabled = True
        if not badges_repo.received_of(session, tenant_id, employee.id):
            academy = ECKey.generate_key("P-256", private=True)
            public = {**academy.as_dict(private=False), "kid": "academy-2026"}
            badges_repo.save_trusted_issuer(session, tenant_id, ACADEMY, "Fietsacademie", {"keys": [public]})
            token = _academy_badge(academy)
            received.receive(
                session, tenant_id, employee, baked_png("Samenwerken in teams", "Fietsacademie", token)
            )
        issuing.set_consent(session, tenant_id, employee, True)
        issued = issuing.issue_earned(session, runtime.settings, tenant_id, employee)
        held = badges_repo.badges_of(session, tenant_id, employee.id)
        yield f"{'badges':14} {len(issued)} new for {EMPLOYEE} ({len(held)} held: {', '.join(b.name for b in held)})"

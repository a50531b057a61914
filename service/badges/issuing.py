"""Issuing Leerpad's own badges: the tenant's switch and the employee's consent, which badges an
employee has earned (a role skill at its target level, a completed path), signing them, revoking them,
and checking a presented credential for the public verification page.

A badge is issued only when the tenant turned badges on (PUT /v1/badges/settings) and the employee
said yes (PUT /v1/employees/{id}/badges/consent); each achievement is issued once per employee."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.orm import Session

from models import badges_repository as repo
from models import people_repository as people
from models import taxonomy_repository as tax
from models.tables import (
    BADGE_PATH,
    BADGE_SKILL,
    BADGE_STATUS_LIST_BITS,
    Badge,
    BadgeIssuer,
    Employee,
    Skill,
    Tenant,
    utcnow,
)
from recommender.gaps import LEVELS
from service.badges import credentials as docs
from service.badges.keys import ALGORITHM, employee_identity, public_key, sign
from service.core.badge_jobs import queue_issue_badges
from service.core.settings import Settings
from service.events.feedback import learning_history
from service.http.deps import Caller, check_employee_access
from service.http.errors import Conflict, NotFound
from service.people.employees import role_to_reach
from service.people.gaps import employee_gaps

VALID, REVOKED, TAMPERED, UNKNOWN = "valid", "revoked", "tampered", "unknown"


class BadgesOff(Conflict):
    """Badges are not turned on for the tenant, or the employee has not consented."""


def issuer_of(session: Session, tenant_id: int) -> BadgeIssuer:
    return repo.issuer_or_new(session, tenant_id)


def require_enabled(session: Session, tenant_id: int) -> BadgeIssuer:
    issuer = issuer_of(session, tenant_id)
    if not issuer.enabled:
        raise BadgesOff(
            "Open Badges are off for this tenant; an admin turns them on with PUT /v1/badges/settings"
        )
    return issuer


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = repo.tenant_by_id(session, tenant_id)
    if tenant is None:
        raise NotFound("the key's tenant no longer exists")
    return tenant


def _label(skill: Skill, language: str) -> str:
    if language == "nl" and skill.label_nl:
        return skill.label_nl
    return skill.label_en or skill.label_nl or skill.key


def _esco(skills: list[Skill], language: str) -> tuple[tuple[str, str], ...]:
    return tuple((s.uri, _label(s, language)) for s in skills if s.uri and s.origin == "esco")


def _skill_facts(skill: Skill, level: int, role_name: str) -> docs.AchievementFacts:
    label = _label(skill, "en")
    return docs.AchievementFacts(
        key=f"skill:{skill.key}:{level}",
        name=f"{label}: level {level}",
        description=f"Reached level {level} of {label} ({LEVELS[level]}), the level the role {role_name} needs.",
        criteria=(
            f"The holder's evidence in {label} (assessments by a manager, tests, 360 feedback, completed "
            f"learning, self-assessments; each weighted by source and age) reached level {level} of 5 in "
            "Leerpad's skills-gap model, as measured by the issuing company."
        ),
        alignments=_esco([skill], "en"),
    )


def _path_facts(
    session: Session, tenant_id: int, path_key: str, steps: list[dict[str, Any]]
) -> docs.AchievementFacts:
    skill_ids = sorted(
        {a["skill_id"] for s in steps for a in s.get("addresses", []) if a.get("skill_id", -1) > 0}
    )
    skills = list(tax.get_skills(session, tenant_id, skill_ids).values())
    labels = ", ".join(sorted(_label(s, "en") for s in skills)) or "the skills it addressed"
    minutes = sum(int(s.get("minutes") or 0) for s in steps)
    return docs.AchievementFacts(
        key=f"path:{path_key}",
        name=f"Learning path completed: {labels}"[:300],
        description=f"Completed every step of a personal learning path ({len(steps)} steps, {minutes} minutes) on {labels}.",
        criteria="Every step of the path was reported completed by the company's learning platform (xAPI).",
        alignments=_esco(skills, "en"),
    )


def _free_status_index(session: Session, tenant_id: int) -> int:
    """A random unused position in the revocation list (random, so a position says nothing about
    when or to whom a badge was issued)."""
    used = repo.used_status_indexes(session, tenant_id)
    if len(used) >= BADGE_STATUS_LIST_BITS:
        raise Conflict("the tenant's badge status list is full")
    while True:
        index = secrets.randbelow(BADGE_STATUS_LIST_BITS)
        if index not in used:
            return index


def _issue(
    session: Session,
    settings: Settings,
    issuer: BadgeIssuer,
    tenant: Tenant,
    employee: Employee,
    kind: str,
    facts: docs.AchievementFacts,
    now: datetime,
) -> Badge:
    badge_key = str(uuid.uuid4())
    index = _free_status_index(session, tenant.id)
    claims = docs.credential(
        public_url=settings.public_url,
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        badge_key=badge_key,
        facts=facts,
        identity=employee_identity(settings, tenant.id, employee.key),
        salt=secrets.token_hex(8),
        status_index=index,
        valid_from=now,
    )
    # the registered JWT claims a JWT library checks, beside the credential's own
    claims |= {"iss": claims["issuer"]["id"], "jti": claims["id"], "iat": int(now.timestamp())}
    token = sign(session, settings, issuer, claims)
    return repo.add_badge(
        session,
        Badge(
            badge_key=badge_key,
            tenant_id=tenant.id,
            employee_id=employee.id,
            kind=kind,
            achievement_key=facts.key,
            name=facts.name,
            status_index=index,
            token=token,
            issued_at=now,
        ),
    )


def _earned(
    session: Session, tenant_id: int, employee: Employee, now: datetime
) -> list[tuple[str, docs.AchievementFacts]]:
    """What the employee has earned now: each skill of their role at its target level, each path done."""
    earned: list[tuple[str, docs.AchievementFacts]] = []
    role_id = employee.target_role_id or employee.role_id
    if role_id is not None:
        role = role_to_reach(session, tenant_id, employee, None)
        gaps = employee_gaps(
            session, tenant_id, employee, role, now, lambda ids: set(ids), include_closed=True
        )
        reached = [g for g in gaps.gaps if g.required > 0 and g.gap == 0.0 and g.evidence_count > 0]
        skills = tax.get_skills(session, tenant_id, [g.skill_id for g in reached])
        earned += [
            (BADGE_SKILL, _skill_facts(skills[g.skill_id], g.required, role.name))
            for g in reached
            if g.skill_id in skills
        ]
    history = learning_history(session, tenant_id, employee)
    for path in repo.paths_of(session, tenant_id, employee.id):
        steps = [s for s in (path.response or {}).get("steps", []) if isinstance(s, dict)]
        done = steps and all(
            s.get("unit_id") in history.completed_units or s.get("item_id") in history.completed_items
            for s in steps
        )
        if done:
            earned.append((BADGE_PATH, _path_facts(session, tenant_id, path.path_key, steps)))
    return earned


def issue_earned(session: Session, settings: Settings, tenant_id: int, employee: Employee) -> list[Badge]:
    """Issue every badge the employee has earned and not yet received; returns the new ones."""
    issuer = require_enabled(session, tenant_id)
    if repo.has_consent(session, tenant_id, employee.id) is None:
        raise BadgesOff(
            "the employee has not agreed to receive badges (PUT /v1/employees/{employee_id}/badges/consent)"
        )
    tenant = _tenant(session, tenant_id)
    now = utcnow().replace(microsecond=0)
    have = {b.achievement_key for b in repo.badges_of(session, tenant_id, employee.id)}
    issued = []
    for kind, facts in _earned(session, tenant_id, employee, now):
        if facts.key not in have:
            issued.append(_issue(session, settings, issuer, tenant, employee, kind, facts, now))
            have.add(facts.key)
    return issued


def set_consent(session: Session, tenant_id: int, employee: Employee, consent: bool) -> None:
    """Record the employee's yes or no; a yes queues an `issue-badges` job (when the tenant has badges
    on), so what their evidence earned before they said yes is issued without waiting for new evidence."""
    repo.set_consent(session, tenant_id, employee.id, consent)
    if consent:
        queue_issue_badges(session, tenant_id, [employee.id])


def change_settings(
    session: Session, tenant_id: int, enabled: bool | None, evidence_level: int | None
) -> BadgeIssuer:
    """Turn badges on or off and set the level a verified badge from elsewhere counts as. Turning them
    on queues an `issue-badges` job for every employee who consented while they were off."""
    issuer = issuer_of(session, tenant_id)
    turned_on = enabled is True and not issuer.enabled
    if enabled is not None:
        issuer.enabled = enabled
    if evidence_level is not None:
        issuer.evidence_level = evidence_level
    session.flush()
    if turned_on:
        queue_issue_badges(session, tenant_id, repo.consenting_employee_ids(session, tenant_id))
    return issuer


def has_consent(session: Session, tenant_id: int, employee: Employee) -> bool:
    return repo.has_consent(session, tenant_id, employee.id) is not None


def reachable_badge(session: Session, caller: Caller, badge_key: str) -> Badge:
    """A badge of the caller's tenant; an employee key reaches only its own employee's."""
    badge = repo.badge(session, caller.tenant_id, badge_key)
    employee = people.get_employee_by_id(session, caller.tenant_id, badge.employee_id) if badge else None
    if badge is None or employee is None:
        raise NotFound(f"no badge {badge_key!r}")
    check_employee_access(caller, employee.key)
    return badge


def revoke(session: Session, tenant_id: int, badge: Badge) -> None:
    repo.set_status_bits(session, tenant_id, [badge.status_index])
    badge.revoked_at = badge.revoked_at or utcnow()
    session.flush()


def decoded(token: str) -> dict[str, Any]:
    """The claims of a JWT as sent, unverified (the signature is checked by `verify`)."""
    try:
        payload = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _header(token: str) -> dict[str, Any]:
    try:
        part = token.split(".")[0]
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Verification:
    status: str  # valid, revoked, tampered, unknown
    reason: str
    credential: dict[str, Any] = field(default_factory=dict)  # verified claims only (empty otherwise)


def verify(session: Session, settings: Settings, token: str) -> Verification:
    """Check a Leerpad credential: whose key signed it, whether the signature holds over exactly these
    claims, whether they name that key's issuer, and the revocation bit."""
    kid = _header(token).get("kid")
    issuer = repo.issuer_by_kid(session, kid) if isinstance(kid, str) else None
    key = public_key(issuer) if issuer is not None else None
    tenant = repo.tenant_by_id(session, issuer.tenant_id) if issuer is not None else None
    if issuer is None or key is None or tenant is None:
        return Verification(UNKNOWN, "no issuer of this service holds the key that signed it")
    try:
        claims = dict(jwt.decode(token, key, algorithms=[ALGORITHM]).claims)
    except (JoseError, ValueError):
        return Verification(
            TAMPERED, "the signature does not match the content: it was changed after issuing"
        )
    issuer_id = docs.issuer_url(settings.public_url, tenant.slug)
    if (claims.get("issuer") or {}).get("id") != issuer_id or claims.get("iss") != issuer_id:
        return Verification(TAMPERED, "the credential names another issuer than the key's")
    try:
        index = int(claims["credentialStatus"]["statusListIndex"])
    except (KeyError, TypeError, ValueError):
        return Verification(TAMPERED, "the credential has no usable status entry")
    if not 0 <= index < BADGE_STATUS_LIST_BITS:
        return Verification(TAMPERED, "the credential's status entry is outside the list")
    if repo.status_bit(issuer.status_bits, index):
        return Verification(REVOKED, "the issuer revoked this badge", claims)
    return Verification(VALID, "signed by the issuer, unchanged and not revoked", claims)


def public_issuer(session: Session, tenant_slug: str) -> tuple[Tenant, BadgeIssuer]:
    """A tenant that has issued badges, for its public documents (served even after badges are turned
    off, so that what was issued can still be checked); any other name is not found."""
    tenant = repo.tenant_by_slug(session, tenant_slug)
    issuer = repo.issuer(session, tenant.id) if tenant is not None else None
    if tenant is None or issuer is None or issuer.kid is None:
        raise NotFound("no badge issuer here")
    return tenant, issuer

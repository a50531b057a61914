"""Badges an employee earned elsewhere: read the upload, verify it offline, and count a verified badge
as evidence of the tenant's skills it is aligned to.

What can be verified without the internet, and so what counts:
- Open Badges 3.0 as a JWT-VC (the token, or a PNG baked with it in an `openbadgecredential` chunk, or
  an SVG with it in `<openbadges:credential>`): the JWS signature against the public keys the tenant
  registered for the credential's issuer (PUT /v1/badges/trusted-issuers). A 3.0 credential with an
  embedded Data Integrity proof is stored but not verified (it needs JSON-LD canonicalisation and the
  issuer's DID document).
- Open Badges 2.0 signed badges (a JWS whose payload is the Assertion; baked in PNG `openbadges` or in
  SVG `<openbadges:assertion verify="...">`), against a key the tenant registered for the issuer.
  Hosted 2.0 badges are verified by fetching the assertion from the issuer's server: that needs the
  internet, so they are stored as not verified and count for nothing.

A verified badge is evidence (source `badge`, recommender/gaps.py) at the tenant's `evidence_level`,
for each alignment whose targetUrl is a skill's ESCO URI or key, or whose targetName is a skill's label.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from defusedxml import ElementTree
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from ingest.taxonomy import normalize_label
from models import badges_repository as repo
from models import taxonomy_repository as tax
from models.tables import Employee, ReceivedBadge, utcnow
from recommender.errors import LeerpadError
from service.badges.baking import OB2_KEYWORD, OB3_KEYWORD, PNG_SIGNATURE, png_texts
from service.badges.issuing import decoded, require_enabled
from service.people.employees import AssessmentInput, add_assessments

MAX_BADGE_BYTES = 2 * 1024 * 1024
VERIFY_ALGORITHMS = ["ES256", "ES384", "RS256", "PS256", "EdDSA"]
MAX_ALIGNMENTS = 50


class BadgeUploadError(LeerpadError):
    """An upload that is no badge Leerpad can read; the message says what was found."""


@dataclass(frozen=True)
class Parsed:
    version: str  # "3.0" or "2.0"
    token: str | None  # the JWS (3.0 JWT-VC or 2.0 signed assertion), when there is one
    document: dict[str, Any]  # the credential or assertion as sent (unverified)


def _svg_badge(data: bytes) -> tuple[str, str]:
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises several kinds for hostile or broken XML
        raise BadgeUploadError(f"file: not a readable SVG ({type(exc).__name__})") from exc
    for element in root.iter():
        tag = str(element.tag)
        if tag.endswith("}credential"):
            return "3.0", (element.text or "").strip()
        if tag.endswith("}assertion"):
            return "2.0", (element.get("verify") or element.text or "").strip()
    raise BadgeUploadError("file: an SVG without an openbadges:credential or openbadges:assertion element")


def _baked(data: bytes) -> tuple[str | None, str]:
    """(version or None, the text a badge file holds)."""
    if data.startswith(PNG_SIGNATURE):
        try:
            texts = png_texts(data)
        except (OSError, ValueError) as exc:
            raise BadgeUploadError(f"file: not a readable PNG ({exc})") from exc
        if OB3_KEYWORD in texts:
            return "3.0", texts[OB3_KEYWORD].strip()
        if OB2_KEYWORD in texts:
            return "2.0", texts[OB2_KEYWORD].strip()
        raise BadgeUploadError(
            "file: a PNG without an openbadgecredential or openbadges chunk: not a baked badge"
        )
    if data.lstrip()[:1] == b"<":
        return _svg_badge(data)
    try:
        return None, data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise BadgeUploadError("file: neither a PNG, an SVG nor UTF-8 text") from exc


def _is_jws(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 3 and all(p and p.replace("-", "").replace("_", "").isalnum() for p in parts[:2])


def _types(document: dict[str, Any]) -> list[str]:
    value = document.get("type") or document.get("@type") or []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def parse(data: bytes) -> Parsed:
    if len(data) > MAX_BADGE_BYTES:
        raise BadgeUploadError(f"file: larger than {MAX_BADGE_BYTES // 1024} KB")
    version, text = _baked(data)
    if _is_jws(text):
        claims = decoded(text)
        inner = claims.get("vc")
        document: dict[str, Any] = inner if isinstance(inner, dict) else claims  # VC-JWT 1.1 or 2.0
        if "OpenBadgeCredential" in _types(document) or "AchievementCredential" in _types(document):
            return Parsed("3.0", text, {**claims, **document})
        if "badge" in claims and "recipient" in claims:
            return Parsed("2.0", text, claims)
        raise BadgeUploadError(
            "file: a signed token that is neither an OpenBadgeCredential nor a 2.0 assertion"
        )
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BadgeUploadError("file: neither a badge image, a signed badge nor badge JSON") from exc
    if not isinstance(document, dict):
        raise BadgeUploadError("file: badge JSON must be an object")
    if "OpenBadgeCredential" in _types(document) or "AchievementCredential" in _types(document):
        return Parsed("3.0", None, document)
    if "Assertion" in _types(document) or ("badge" in document and "recipient" in document):
        return Parsed(version or "2.0", None, document)
    raise BadgeUploadError(
        "file: JSON that is neither an OpenBadgeCredential nor an Open Badges 2.0 assertion"
    )


def _id(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if isinstance(value, str) else ""


def _issuer_ids(parsed: Parsed) -> list[str]:
    doc = parsed.document
    if parsed.version == "3.0":
        return [i for i in (_id(doc.get("issuer")), _id(doc.get("iss"))) if i]
    badge = doc.get("badge")
    verification = doc.get("verification")
    creator = verification.get("creator") if isinstance(verification, dict) else None
    found = [_id(badge.get("issuer")) if isinstance(badge, dict) else "", _id(creator)]
    return [i for i in found if i]


def _name(parsed: Parsed) -> str:
    doc = parsed.document
    if parsed.version == "3.0":
        subject = doc.get("credentialSubject")
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        name = (achievement or {}).get("name") if isinstance(achievement, dict) else None
        return str(name or doc.get("name") or "badge")[:500]
    badge = doc.get("badge")
    return str((badge.get("name") if isinstance(badge, dict) else None) or "badge")[:500]


def _alignments(parsed: Parsed) -> list[dict[str, Any]]:
    doc = parsed.document
    if parsed.version == "3.0":
        subject = doc.get("credentialSubject")
        holder = subject.get("achievement") if isinstance(subject, dict) else None
    else:
        holder = doc.get("badge")
    found = holder.get("alignment") if isinstance(holder, dict) else None
    return [a for a in found if isinstance(a, dict)][:MAX_ALIGNMENTS] if isinstance(found, list) else []


def _verify(session: Session, tenant_id: int, parsed: Parsed) -> tuple[bool, str, str]:
    """(verified, why, issuer id)."""
    issuers = _issuer_ids(parsed)
    issuer_id = issuers[0] if issuers else ""
    if parsed.token is None:
        if parsed.version == "2.0":
            return (
                False,
                "a hosted Open Badges 2.0 badge is verified at its issuer's server, which needs the internet; upload a signed badge",
                issuer_id,
            )
        return (
            False,
            "a 3.0 credential without a JWT proof cannot be verified offline; upload it as a JWT-VC",
            issuer_id,
        )
    trusted = next(
        (t for i in issuers if (t := repo.trusted_issuer(session, tenant_id, i)) is not None), None
    )
    if trusted is None:
        return (
            False,
            f"the issuer {issuer_id!r} is not one of the tenant's trusted issuers (PUT /v1/badges/trusted-issuers)",
            issuer_id,
        )
    try:
        keys = KeySet.import_key_set(trusted.keys)  # type: ignore[arg-type]
        if parsed.version == "3.0":
            jwt.decode(parsed.token, keys, algorithms=VERIFY_ALGORITHMS)
        else:
            jws.deserialize_compact(parsed.token, keys, algorithms=VERIFY_ALGORITHMS)
    except (JoseError, ValueError) as exc:
        return (
            False,
            f"the signature does not verify with the keys registered for {trusted.issuer!r} ({type(exc).__name__})",
            trusted.issuer,
        )
    expiry = parsed.document.get("validUntil") or parsed.document.get("expires")
    if isinstance(expiry, str) and _when(expiry) and _when(expiry) < utcnow():  # type: ignore[operator]
        return False, f"the badge expired on {expiry}", trusted.issuer
    return True, f"signed by a key registered for {trusted.issuer!r}", trusted.issuer


def _when(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _skills(session: Session, tenant_id: int, parsed: Parsed) -> list[tuple[int, str]]:
    """(skill id, skill key) of the tenant's skills the badge is aligned to."""
    found: dict[int, str] = {}
    for alignment in _alignments(parsed):
        url, name = alignment.get("targetUrl"), alignment.get("targetName")
        skill = (
            tax.skill_by_key(session, tenant_id, url.strip()[:300])
            if isinstance(url, str) and url.strip()
            else None
        )
        if skill is None and isinstance(name, str) and name.strip():
            ids = tax.skill_ids_by_label(session, tenant_id, normalize_label(name[:300]))
            skill = tax.get_skill(session, tenant_id, ids[0]) if ids else None
        if skill is not None:
            found[skill.id] = skill.key
    return sorted(found.items())


def _storable(document: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(document, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadgeUploadError("file: the badge holds text that cannot be stored (a lone surrogate)") from exc
    if "\x00" in text:
        raise BadgeUploadError("file: the badge holds a NUL character")
    return document


def receive(session: Session, tenant_id: int, employee: Employee, data: bytes) -> ReceivedBadge:
    """Read, verify and keep an uploaded badge; a verified one becomes evidence of its aligned skills."""
    issuer_row = require_enabled(session, tenant_id)
    parsed = parse(data)
    document = _storable(parsed.document)
    verified, reason, issuer_id = _verify(session, tenant_id, parsed)
    skills = _skills(session, tenant_id, parsed) if verified else []
    if skills:
        observed = _when(str(document.get("validFrom") or document.get("issuedOn") or "")) or utcnow()
        observed = min(observed, utcnow())
        add_assessments(
            session,
            tenant_id,
            employee,
            [AssessmentInput(key, float(issuer_row.evidence_level), "badge", observed) for _, key in skills],
            self_only=False,
        )
    return repo.add_received(
        session,
        ReceivedBadge(
            badge_key=str(uuid.uuid4()),
            tenant_id=tenant_id,
            employee_id=employee.id,
            version=parsed.version,
            issuer=issuer_id[:2000],
            name=_name(parsed),
            verified=verified,
            reason=reason,
            skill_ids=[skill_id for skill_id, _ in skills],
            credential=document,
        ),
    )

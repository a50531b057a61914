"""The public verification page: what a credential says, and whether it is valid, revoked or changed.

Rendered with autoescaping: every text on it comes from a credential (skill names from a catalog or an
ESCO file, a tenant's name) and is hostile until escaped. It shows only what the credential itself
shows, never who holds it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from service.badges.issuing import REVOKED, TAMPERED, UNKNOWN, VALID, Verification

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
HEADLINES = {
    VALID: "Valid: this badge was issued by the issuer named below and is in force.",
    REVOKED: "Revoked: the issuer withdrew this badge.",
    TAMPERED: "Not valid: this badge was changed after it was issued.",
    UNKNOWN: "Not valid: this service did not issue this badge.",
}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True))


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def render(result: Verification) -> str:
    claims = result.credential
    subject = _object(claims.get("credentialSubject"))
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else None
    shown = None
    if achievement is not None:
        criteria = _object(achievement.get("criteria"))
        shown = {
            "name": _text(achievement.get("name")),
            "description": _text(achievement.get("description")),
            "criteria": _text(criteria.get("narrative")),
            "alignments": [
                {"name": _text(a.get("targetName")), "url": _text(a.get("targetUrl"))}
                for a in achievement.get("alignment") or []
                if isinstance(a, dict)
            ],
        }
    issuer = _object(claims.get("issuer"))
    return (
        _environment()
        .get_template("verify.html")
        .render(
            status=result.status,
            headline=HEADLINES[result.status],
            reason=result.reason,
            achievement=shown,
            issuer=f"{_text(issuer.get('name'))} ({_text(issuer.get('id'))})",
            valid_from=_text(claims.get("validFrom")),
        )
    )

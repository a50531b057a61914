"""The dashboard's logins and form tokens: every rule about them lives here; the routes in
service/reports/dashboard/router.py only call these.

A login trades an ld or admin key for a session. The browser gets a random id (256 bits) in an
HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256, so neither a copied table
nor the cookie reveals the key. A session ends at logout (its row is deleted), `lifetime` after
the login, after `idle` without a request, and as soon as its key is revoked (the lookup joins the
key; revoking also deletes the rows). Rows of sessions that ended otherwise are deleted by the next
login, anyone's. The cookies are Secure when the request came over https
(behind a trusted proxy: X-Forwarded-Proto, through uvicorn) or when LEERPAD_SECURE_COOKIES says so.

Every form that POSTs carries a token bound to a cookie: the login form to a random secret in the
`leerpad_csrf` cookie (there is no session yet), the forms behind the login to the session id. The
token is an HMAC of the cookie's value: another site can neither read our cookies nor make the
browser send them with its POST (SameSite=Strict), so it cannot send a matching pair. A POST the
browser itself marks as coming from another site (Sec-Fetch-Site) is refused before that.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy.orm import Session

from models import dashboard_sessions_repository as sessions_repo
from models import repositories as repo
from models.tables import utcnow
from service.core.settings import Settings
from service.http.cookies import CSRF_COOKIE, SESSION_COOKIE
from service.http.deps import Caller

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100  # a cookie longer than any id we hand out is no session
# last_seen_at is written at most once a minute per session, not on every page and CSV download.
TOUCH_EVERY = timedelta(minutes=1)
FORM_PURPOSE = b"leerpad dashboard form"
CROSS_SITE = ("cross-site", "same-site")  # Sec-Fetch-Site values of a request from another origin
LOGIN_COOKIE_PATH = "/dashboard/login"


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: `lifetime` after the login at most, `idle` between requests."""

    lifetime: timedelta
    idle: timedelta
    secure_always: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            lifetime=timedelta(hours=settings.dashboard_session_hours),
            idle=timedelta(minutes=settings.dashboard_idle_minutes),
            secure_always=settings.secure_cookies,
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _plausible(token: str | None) -> bool:
    return bool(token) and len(token or "") <= MAX_TOKEN_LENGTH


def open_session(db: Session, caller: Caller, policy: SessionPolicy, now: datetime | None = None) -> str:
    """Start a session for the caller's key; returns the id for the cookie (stored only hashed).
    Sessions that have ended meanwhile, anyone's, are deleted on the way."""
    now = now or utcnow()
    sessions_repo.delete_stale_sessions(db, now, now - policy.idle)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    sessions_repo.add_session(db, caller.tenant_id, caller.key_id, _digest(token), now, now + policy.lifetime)
    return token


def session_caller(
    db: Session, token: str | None, policy: SessionPolicy, now: datetime | None = None
) -> Caller | None:
    """The caller of a live session, or None: unknown, ended, or its key revoked. An ended session's
    row is left to the next login's purge (a refusal rolls the request's transaction back)."""
    if not _plausible(token):
        return None
    assert token is not None
    now = now or utcnow()
    found = sessions_repo.find_session(db, _digest(token))
    if found is None:
        return None
    row, key = found
    if row.expires_at <= now or row.last_seen_at <= now - policy.idle:
        return None
    tenant = repo.get_tenant_by_id(db, key.tenant_id)
    if tenant is None:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.flush()
    return Caller(key.id, tenant.id, tenant.slug, key.role, key.employee_id)


def close_session(db: Session, token: str | None) -> None:
    """Logout: the session's row is deleted, so a copy of the cookie opens nothing any more."""
    if _plausible(token):
        assert token is not None
        sessions_repo.delete_session(db, _digest(token))


# --- form tokens --------------------------------------------------------------------------------


def form_token(cookie_value: str) -> str:
    """The token a form carries, bound to the value of the cookie it is checked against."""
    return hmac.new(cookie_value.encode("utf-8", "surrogateescape"), FORM_PURPOSE, hashlib.sha256).hexdigest()


def form_accepted(request: Request, cookie_name: str, submitted: str) -> bool:
    """A POST from one of our own forms: not marked cross-site by the browser, and carrying the
    token of the cookie it was rendered for."""
    if request.headers.get("sec-fetch-site", "").lower() in CROSS_SITE:
        return False
    cookie = request.cookies.get(cookie_name)
    if not _plausible(cookie) or not submitted:
        return False
    assert cookie is not None
    return hmac.compare_digest(form_token(cookie), submitted)


def login_secret(request: Request) -> str:
    """The login form's secret: the browser's own, or a new one (set with `set_login_secret`)."""
    current = request.cookies.get(CSRF_COOKIE)
    return current if _plausible(current) and current else secrets.token_urlsafe(TOKEN_BYTES)


# --- cookies ------------------------------------------------------------------------------------


def _secure(request: Request, policy: SessionPolicy) -> bool:
    return policy.secure_always or request.url.scheme == "https"


def _set(
    response: Response,
    request: Request,
    policy: SessionPolicy,
    name: str,
    value: str,
    path: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=_secure(request, policy),
    )


def set_login_secret(response: Response, request: Request, policy: SessionPolicy, secret: str) -> None:
    """The login form's secret, for the browser session only, sent back to the login path only."""
    _set(response, request, policy, CSRF_COOKIE, secret, LOGIN_COOKIE_PATH)


def set_session_cookie(response: Response, request: Request, policy: SessionPolicy, token: str) -> None:
    """The session id; the browser forgets it when the session would expire anyway. Path / because
    the dashboard's CSV link is a report route under /v1. The login form's secret is done with."""
    _set(response, request, policy, SESSION_COOKIE, token, "/", int(policy.lifetime.total_seconds()))
    response.delete_cookie(
        CSRF_COOKIE, path=LOGIN_COOKIE_PATH, httponly=True, samesite="strict", secure=_secure(request, policy)
    )


def clear_session_cookie(response: Response, request: Request, policy: SessionPolicy) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request, policy)
    )

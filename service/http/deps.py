"""Request dependencies: the runtime, one session per request, the authenticated caller."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from models import repositories as repo
from models.tables import ApiKey, utcnow
from service.core.key_roles import ROLES
from service.core.runtime import Runtime
from service.http.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="An API key made with `leerpad keys create`")
log = logging.getLogger("leerpad")

# A key's last_used_at is written at most once a minute, not on every request a busy key makes.
KEY_USE_EVERY = timedelta(minutes=1)
_KEY_USED = "leerpad.key_used"  # session.info: the id of a key whose use is to be recorded


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """The only place that commits: services and repositories flush. Scoped to the route function
    (below), so the commit comes after the answer is built and before it is sent: a client that is
    told 200 or 303 finds the write there on its next request (a redirect after the dashboard's login
    once arrived before the session it named was committed), and a commit that fails is a 500, never
    an answer of success for a write that was lost."""
    session = runtime.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        try:
            _record_key_use(session)
        finally:
            session.close()


def _note_key_use(session: Session, key: ApiKey) -> None:
    """Mark the key's use for recording when the request's session ends, unless its last_used_at
    is under a minute old already (the usual case of a busy key: nothing more is written)."""
    if key.last_used_at is None or key.last_used_at < utcnow() - KEY_USE_EVERY:
        session.info[_KEY_USED] = key.id


def _record_key_use(session: Session) -> None:
    """The noted key's last_used_at, in a transaction of its own after the request's: its row is
    locked for that one UPDATE only, never while a request runs (other requests with the key would
    wait for it), and a request refused after it was authenticated (403, 404) counts as a use too.
    A failure here is logged, never the answer."""
    key_id = session.info.pop(_KEY_USED, None)
    if key_id is None:
        return
    try:
        repo.record_key_use(session, key_id, utcnow(), KEY_USE_EVERY)
        session.commit()
    except Exception:
        session.rollback()
        log.warning("could not record the use of API key %s", key_id, exc_info=True)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Caller:
    """Who is asking: a key of one tenant, with one role (and one employee for an employee key)."""

    key_id: int
    tenant_id: int
    tenant_slug: str
    role: str
    employee_id: str | None


def remember_caller(request: Request, caller: Caller) -> Caller:
    """Leave the caller on the request for the audit trail (service.trust.audit), which runs outside the route."""
    request.state.audit_caller = caller
    return caller


def get_caller(
    session: SessionDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    return remember_caller(request, caller_for_key(session, credentials.credentials))


def caller_for_key(session: Session, secret: str) -> Caller:
    """The one check of an API key, whichever way it came (Bearer here, HTTP Basic's password at
    /xapi/, the dashboard's login form): who holds it, or Unauthorized for a key that is unknown,
    revoked or of a gone tenant. Its use is recorded (last_used_at, at most once a minute) when the
    request's session ends (get_session)."""
    key = repo.find_api_key(session, secret.strip())
    if key is None:
        raise Unauthorized("invalid or revoked API key")
    tenant = repo.get_tenant_by_id(session, key.tenant_id)
    if tenant is None:
        raise Unauthorized("the key's tenant no longer exists")
    _note_key_use(session, key)
    return Caller(key.id, tenant.id, tenant.slug, key.role, key.employee_id)


CallerDep = Annotated[Caller, Depends(get_caller)]


class RoleRule:
    """A dependency that lets only the given roles through (deny by default). Every route carries
    one (or is listed in PUBLIC_ROUTES); tests/service/test_authorization.py walks the routes."""

    def __init__(self, *roles: str) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ValueError(
                f"unknown roles {sorted(unknown)}" if unknown else "a rule names at least one role"
            )
        self.allowed_roles: tuple[str, ...] = roles

    def __call__(self, caller: CallerDep) -> Caller:
        if caller.role not in self.allowed_roles:
            raise Forbidden(f"role {caller.role!r} may not do this; allowed: {', '.join(self.allowed_roles)}")
        return caller


def require(*roles: str) -> Callable[[Caller], Caller]:
    return RoleRule(*roles)


# Routes anyone may call, and why: health checks for load balancers, metrics for the scraper, the
# dashboard's pages, which check the session cookie themselves and send a stranger to the login form,
# and the API's documentation pages.
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness for the load balancer",
    ("GET", "/readyz"): "readiness for the load balancer; names no tenant",
    ("GET", "/metrics"): "Prometheus scrapes it; aggregates over all tenants only, no tenant is named",
    ("GET", "/dashboard"): "checks the session cookie itself; a stranger is sent to the login form",
    ("GET", "/dashboard/login"): "the login form",
    ("POST", "/dashboard/login"): "trades an ld or admin key for a session (the form's token checked first)",
    ("POST", "/dashboard/logout"): "ends the session (the form's token checked first)",
    ("GET", "/docs"): "Swagger UI's page: it reads /openapi.json, which is public too",
    ("GET", "/docs/oauth2-redirect"): "Swagger UI's OAuth2 redirect page, static",
    ("GET", "/redoc"): "ReDoc's page: it reads /openapi.json, which is public too",
    ("GET", "/xapi/about"): "xAPI asks that an LRS says its versions to anyone; it names no tenant",
    (
        "GET",
        "/lti/login",
    ): "LTI 1.3 login initiation: the LMS's browser redirect; the registration is checked",
    ("POST", "/lti/login"): "LTI 1.3 login initiation as a form post; the registration is checked",
    ("POST", "/lti/launch"): "LTI 1.3 launch: the id_token signed by a registered platform is the credential",
    (
        "POST",
        "/lti/deep-link",
    ): "the deep-linking picker: the launch id of a validated staff launch is the credential",
    ("GET", "/lti/jwks"): "the tool's public keys, for platforms to check what it signs",
    # Open Badges (service/badges/public_router.py): what anyone who is shown a badge needs to check it
    ("GET", "/badges/issuers/{tenant}"): "a badge issuer's public Profile (a tenant that issued badges)",
    ("GET", "/badges/issuers/{tenant}/jwks.json"): "a badge issuer's public keys, to check badge signatures",
    ("GET", "/badges/issuers/{tenant}/status/1"): "a badge issuer's revocation list: bits, no names",
    ("GET", "/badges/{badge_id}/verify"): "the verification page of a badge: what the credential shows",
    ("POST", "/badges/verify"): "checks a pasted badge credential; reads nothing but the issuer keys",
    (
        "POST",
        "/slack/{tenant}/interactions",
    ): "Slack's v0 signature with the tenant's signing secret is the credential",
    (
        "POST",
        "/slack/{tenant}/commands",
    ): "Slack's v0 signature with the tenant's signing secret is the credential",
    (
        "POST",
        "/teams/{tenant}/messages",
    ): "the Bot Framework token (RS256, the bot's app id as audience) is the credential",
}


AnyCaller = Annotated[Caller, Depends(require(*ROLES))]
CatalogManager = Annotated[Caller, Depends(require("admin", "ld"))]
PeopleCaller = Annotated[Caller, Depends(require("admin", "lms", "employee"))]
AdminCaller = Annotated[Caller, Depends(require("admin"))]


def check_employee_access(caller: Caller, employee_id: str) -> None:
    """An employee key reaches only its own employee's data (object-level authorization)."""
    if caller.role == "employee" and caller.employee_id != employee_id:
        raise Forbidden("an employee key may only reach its own employee's data")

"""The L&D dashboard in a browser: a login form that trades an API key for a cookie, the dashboard
page, and the cookie as a second way (GET only) to authenticate the report routes.

The cookie holds the key itself, HttpOnly (no script reads it), SameSite=Strict (no other site can
make the browser send it) and Secure over https. Only GET requests accept it, so a page elsewhere
can never make a logged-in browser change anything; everything that writes still needs the bearer
header.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from models import repositories as repo
from service.dashboard import STATIC_DIR, render_dashboard, render_login, render_message
from service.deps import Caller, SessionDep, get_caller, remember_caller
from service.errors import Forbidden, Unauthorized
from service.reports import ReportInputError, check_filters, filter_options, gap_report, kpi_report

COOKIE = "leerpad_key"
COOKIE_MAX_AGE = 8 * 60 * 60  # a working day; then the browser asks for the key again
MAX_KEY_LENGTH = 300
DASHBOARD_ROLES = ("ld", "admin")
LOGIN_PATH = "/dashboard/login"
DASHBOARD_PATH = "/dashboard"
# The pages load nothing but their own stylesheet: no script, no frames, no form posts elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(tags=["dashboard"], include_in_schema=False)

_bearer = HTTPBearer(auto_error=False, description="An API key made with `leerpad keys create`")
_cookie = APIKeyCookie(
    name=COOKIE,
    auto_error=False,
    description="The key, set by logging in at /dashboard/login; accepted on GET requests only",
)

TeamQuery = Annotated[str | None, Query(max_length=200, description="Only this team")]
RoleQuery = Annotated[str | None, Query(max_length=200, description="Only this role (role_id)")]


def static_files() -> StaticFiles:
    """The dashboard's stylesheet, mounted by the app at /static."""
    return StaticFiles(directory=STATIC_DIR)


def _caller_for_key(session: Session, token: str) -> Caller | None:
    if not token or len(token) > MAX_KEY_LENGTH:
        return None
    key = repo.find_api_key(session, token.strip())
    if key is None:
        return None
    tenant = repo.get_tenant_by_id(session, key.tenant_id)
    if tenant is None:
        return None
    return Caller(key.id, tenant.id, tenant.slug, key.role, key.employee_id)


class BrowserOrBearer:
    """The report routes' rule: an ld or admin caller from the bearer header or, for GET requests
    only, the dashboard cookie (a class so that the route walk in the tests can read its roles)."""

    allowed_roles = DASHBOARD_ROLES

    def __call__(
        self,
        session: SessionDep,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        cookie: Annotated[str | None, Depends(_cookie)],
    ) -> Caller:
        """An ld or admin caller from the bearer header or, for GET requests only, the dashboard cookie.
        A bearer header, when sent, is the one that counts (a bad one is not rescued by the cookie)."""
        if credentials is not None and credentials.credentials:
            caller = get_caller(session, request, credentials)
        elif cookie and request.method == "GET":
            found = _caller_for_key(session, cookie)
            if found is None:
                raise Unauthorized(
                    f"the dashboard login has expired or its key was revoked: log in at {LOGIN_PATH}"
                )
            caller = remember_caller(request, found)
        else:
            raise Unauthorized(
                f"missing API key: send 'Authorization: Bearer <key>' (or log in at {LOGIN_PATH})"
            )
        if caller.role not in DASHBOARD_ROLES:
            raise Forbidden(
                f"role {caller.role!r} may not read reports; allowed: {', '.join(DASHBOARD_ROLES)}"
            )
        return caller


browser_or_bearer_caller = BrowserOrBearer()


def _html(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def _to_login() -> RedirectResponse:
    return RedirectResponse(LOGIN_PATH, status_code=303, headers={"Cache-Control": "no-store"})


def _blank_to_none(value: str | None) -> str | None:
    """The filter form sends an empty value for "all"."""
    return value if value else None


@router.get(DASHBOARD_PATH, response_class=HTMLResponse)
def dashboard(
    session: SessionDep,
    request: Request,
    team: TeamQuery = None,
    role: RoleQuery = None,
    period: Literal["month", "week"] = "month",
) -> Response:
    """The dashboard for the logged-in ld or admin key; anyone else is sent to the login page."""
    caller = _caller_for_key(session, request.cookies.get(COOKIE, ""))
    if caller is None or caller.role not in DASHBOARD_ROLES:
        return _to_login()
    try:
        filters = check_filters(session, caller.tenant_id, _blank_to_none(team), _blank_to_none(role))
        kpis = kpi_report(session, caller.tenant_id, caller.tenant_slug, filters, period)
    except ReportInputError as exc:  # an unknown filter, or L&D figures in several currencies
        page = render_message(
            "Cannot show this report", str(exc), DASHBOARD_PATH, "Back to the whole company"
        )
        return _html(page, status_code=422)
    gaps = gap_report(session, caller.tenant_id, caller.tenant_slug, filters)
    teams, roles = filter_options(session, caller.tenant_id)
    query = {"format": "csv", **{k: v for k, v in (("team", filters.team), ("role", filters.role)) if v}}
    csv_url = f"/v1/reports/gaps?{urlencode(query)}"
    return _html(render_dashboard(gaps, kpis, teams, roles, csv_url))


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form() -> Response:
    return _html(render_login())


@router.post(LOGIN_PATH, response_class=HTMLResponse)
def login(
    session: SessionDep,
    request: Request,
    key: Annotated[str, Form(max_length=MAX_KEY_LENGTH)] = "",
) -> Response:
    """Check the key; an ld or admin key gets the cookie and goes on to the dashboard."""
    caller = _caller_for_key(session, key.strip())
    if caller is None:
        return _html(render_login("That API key is not valid (or it was revoked)."), status_code=401)
    if caller.role not in DASHBOARD_ROLES:
        message = (
            f"This is an {caller.role!r} key. The dashboard is for L&D: log in with an 'ld' or 'admin' key."
        )
        return _html(render_login(message), status_code=403)
    response = RedirectResponse(DASHBOARD_PATH, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        COOKIE,
        key.strip(),
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/dashboard/logout")
def logout(request: Request) -> Response:
    response = _to_login()
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response

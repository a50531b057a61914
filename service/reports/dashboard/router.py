"""The L&D dashboard in a browser: a login form that trades an API key for a session, the
dashboard page, and the session's cookie as a second way (GET only) to authenticate the report
routes.

The session rules (a random id stored hashed, expiry, idle timeout, revocation, Secure, form
tokens) live in service/reports/dashboard/sessions.py. Only GET requests accept the cookie, so a page
elsewhere can never make a logged-in browser change anything through the API; everything that
writes still needs the bearer header, and the dashboard's own forms carry a token.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from service.core.collector import collector_paused
from service.http.cookies import CSRF_COOKIE, SESSION_COOKIE
from service.http.deps import Caller, RuntimeDep, SessionDep, caller_for_key
from service.http.errors import Unauthorized
from service.reports.dashboard import sessions
from service.reports.dashboard.access import DASHBOARD_ROLES, LOGIN_PATH, session_policy
from service.reports.dashboard.pages import STATIC_DIR, render_dashboard, render_login, render_message
from service.reports.team_reports import ReportInputError, dashboard_reports

MAX_KEY_LENGTH = 300
MAX_FORM_TOKEN_LENGTH = 100
LOGOUT_PATH = "/dashboard/logout"
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

FormToken = Annotated[str, Form(max_length=MAX_FORM_TOKEN_LENGTH)]

TeamQuery = Annotated[str | None, Query(max_length=200, description="Only this team")]
RoleQuery = Annotated[str | None, Query(max_length=200, description="Only this role (role_id)")]


def static_files() -> StaticFiles:
    """The dashboard's stylesheet, mounted by the app at /static."""
    return StaticFiles(directory=STATIC_DIR)


def _caller_for_key(session: Session, token: str) -> Caller | None:
    """The login form's key checked as every request's is (its use recorded too), or None."""
    if not token or len(token) > MAX_KEY_LENGTH:
        return None
    try:
        return caller_for_key(session, token)
    except Unauthorized:
        return None


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
    runtime: RuntimeDep,
    request: Request,
    team: TeamQuery = None,
    role: RoleQuery = None,
    period: Literal["month", "week"] = "month",
) -> Response:
    """The dashboard for a logged-in ld or admin key; anyone else is sent to the login page."""
    token = request.cookies.get(SESSION_COOKIE)
    caller = sessions.session_caller(session, token, session_policy(runtime))
    if caller is None or token is None or caller.role not in DASHBOARD_ROLES:
        return _to_login()
    try:
        board = dashboard_reports(
            runtime,
            session,
            caller.tenant_id,
            caller.tenant_slug,
            _blank_to_none(team),
            _blank_to_none(role),
            period,
        )
    except ReportInputError as exc:  # an unknown filter, or L&D figures in several currencies
        page = render_message(
            "Cannot show this report", str(exc), DASHBOARD_PATH, "Back to the whole company"
        )
        return _html(page, status_code=422)
    filters = board.gaps.filters
    query = {"format": "csv", **{k: v for k, v in (("team", filters.team), ("role", filters.role)) if v}}
    csv_url = f"/v1/reports/gaps?{urlencode(query)}"
    with collector_paused():  # a heatmap cell per team and skill: tens of thousands of acyclic objects
        page = render_dashboard(
            board.gaps, board.kpis, board.teams, board.roles, csv_url, sessions.form_token(token)
        )
    return _html(page)


def _login_page(
    runtime: RuntimeDep, request: Request, message: str | None = None, status_code: int = 200
) -> Response:
    """The login form with a token bound to the browser's login secret (a new one if it has none)."""
    secret = sessions.login_secret(request)
    response = _html(render_login(sessions.form_token(secret), message), status_code=status_code)
    sessions.set_login_secret(response, request, session_policy(runtime), secret)
    return response


@router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_form(runtime: RuntimeDep, request: Request) -> Response:
    return _login_page(runtime, request)


@router.post(LOGIN_PATH, response_class=HTMLResponse)
def login(
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    key: Annotated[str, Form(max_length=MAX_KEY_LENGTH)] = "",
    csrf: FormToken = "",
) -> Response:
    """Check the form's token, then the key; an ld or admin key opens a session and goes on to the
    dashboard. A POST from another site (login CSRF) is refused before the key is looked at."""
    if not sessions.form_accepted(request, CSRF_COOKIE, csrf):
        message = "This login form has expired or was sent from another site: log in here again."
        return _login_page(runtime, request, message, status_code=403)
    caller = _caller_for_key(session, key.strip())
    if caller is None:
        return _login_page(runtime, request, "That API key is not valid (or it was revoked).", 401)
    if caller.role not in DASHBOARD_ROLES:
        message = (
            f"This is an {caller.role!r} key. The dashboard is for L&D: log in with an 'ld' or 'admin' key."
        )
        return _login_page(runtime, request, message, status_code=403)
    policy = session_policy(runtime)
    token = sessions.open_session(session, caller, policy)
    response = RedirectResponse(DASHBOARD_PATH, status_code=303, headers={"Cache-Control": "no-store"})
    sessions.set_session_cookie(response, request, policy, token)
    return response


@router.post(LOGOUT_PATH)
def logout(session: SessionDep, runtime: RuntimeDep, request: Request, csrf: FormToken = "") -> Response:
    """End the session (its row is deleted) and clear the cookie; a logout another site sends
    without the form's token changes nothing."""
    if request.cookies.get(SESSION_COOKIE) and not sessions.form_accepted(request, SESSION_COOKIE, csrf):
        page = render_message(
            "Not logged out",
            "This logout was sent without the dashboard's token (from another site?): nothing changed.",
            DASHBOARD_PATH,
            "Back to the dashboard",
        )
        return _html(page, status_code=403)
    sessions.close_session(session, request.cookies.get(SESSION_COOKIE))
    response = _to_login()
    sessions.clear_session_cookie(response, request, session_policy(runtime))
    return response

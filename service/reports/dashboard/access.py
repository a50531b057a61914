"""Who may read the reports: an ld or admin caller from the bearer header or, for GET requests only,
the dashboard's session cookie. The dashboard router and the report routes both depend on it, so
it lives here rather than in either router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from service.http.cookies import SESSION_COOKIE
from service.http.deps import Caller, RuntimeDep, SessionDep, get_caller, remember_caller
from service.http.errors import Forbidden, Unauthorized
from service.reports.dashboard import sessions

DASHBOARD_ROLES = ("ld", "admin")
LOGIN_PATH = "/dashboard/login"

_bearer = HTTPBearer(auto_error=False, description="An API key made with `leerpad keys create`")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="A dashboard session, opened by logging in at /dashboard/login; accepted on GET requests only",
)


def session_policy(runtime: RuntimeDep) -> sessions.SessionPolicy:
    return sessions.SessionPolicy.from_settings(runtime.settings)


class BrowserOrBearer:
    """The report routes' rule: an ld or admin caller from the bearer header or, for GET requests
    only, the dashboard cookie (a class so that the route walk in the tests can read its roles)."""

    allowed_roles = DASHBOARD_ROLES

    def __call__(
        self,
        session: SessionDep,
        runtime: RuntimeDep,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        cookie: Annotated[str | None, Depends(_cookie)],
    ) -> Caller:
        """An ld or admin caller from the bearer header or, for GET requests only, the dashboard cookie.
        A bearer header, when sent, is the one that counts (a bad one is not rescued by the cookie)."""
        if credentials is not None and credentials.credentials:
            caller = get_caller(session, request, credentials)
        elif cookie and request.method == "GET":
            found = sessions.session_caller(session, cookie, session_policy(runtime))
            if found is None:
                raise Unauthorized(
                    f"the dashboard session has ended (logged out, expired or its key revoked): log in at {LOGIN_PATH}"
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

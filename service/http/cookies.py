"""The names of the dashboard's cookies, apart from the code that sets them: the rate limit
(service/http/limits.py, HTTP plumbing) reads the session cookie and must not import the dashboard."""

from __future__ import annotations

SESSION_COOKIE = (
    "leerpad_session"  # a random session id (service/reports/dashboard/sessions.py), never the key
)
CSRF_COOKIE = "leerpad_csrf"  # the login form's double-submit secret, before there is a session

"""Dashboard logins are server-side sessions (service/reports/dashboard/sessions.py): the cookie holds a
random id stored hashed, never the key; a session ends at logout, at its expiry, when idle and when
its key is revoked; the login and logout forms carry a token, so another site cannot post them;
the cookies are Secure over https, behind a trusted proxy, or when the setting says so."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from models import repositories as repo
from models.db import transaction
from models.tables import ApiKey, DashboardSession, utcnow
from service.app import create_app
from service.core.runtime import Runtime
from service.http.cookies import CSRF_COOKIE, SESSION_COOKIE
from tests.support.browser import served

REPORT = "/v1/reports/gaps?format=json"
# An HTTP answer: starlette's TestClient gives httpx2's Response, httpx its own; both read alike.
Answer = Any


def make_secret(runtime: Runtime, tenant: str, role: str = "ld") -> str:
    with transaction(runtime.sessions) as session:
        _, secret = repo.create_api_key(session, repo.get_or_create_tenant(session, tenant), role)
    return secret


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form carries no token"
    return found.group(1)


def log_in(client: TestClient, key: str) -> Answer:
    """What a browser does: fetch the login form, post it with its token and the form's cookie
    (sent by hand: a client's cookie jar keeps a Secure cookie from a plain-http URL to itself)."""
    form = client.get("/dashboard/login")
    cookie = f"{CSRF_COOKIE}={form.cookies[CSRF_COOKIE]}"
    return client.post(
        "/dashboard/login",
        data={"key": key, "csrf": form_token(form.text)},
        headers={"Cookie": cookie},
        follow_redirects=False,
    )


def sessions_of(runtime: Runtime, secret: str) -> list[DashboardSession]:
    prefix = secret.split("_")[1]
    with runtime.sessions() as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix))
        return list(session.scalars(select(DashboardSession).where(DashboardSession.key_id == key_id)))


def copied_cookie_works(runtime: Runtime, cookie: str) -> bool:
    """What a stolen copy of the cookie gets, from another client."""
    with TestClient(create_app(runtime=runtime)) as thief:
        thief.cookies.set(SESSION_COOKIE, cookie)
        answer = thief.get(REPORT)
        assert answer.status_code in (200, 401), answer.text
        return answer.status_code == 200


def test_the_cookie_is_a_random_id_stored_only_as_its_hash(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    secret = make_secret(runtime, tenant)
    answer = log_in(client, secret)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    cookie = client.cookies[SESSION_COOKIE]
    assert secret not in answer.headers["set-cookie"] and secret.split("_", 2)[2] not in cookie
    assert len(cookie) >= 40  # 256 random bits
    (row,) = sessions_of(runtime, secret)
    assert row.token_hash == hashlib.sha256(cookie.encode()).hexdigest() and cookie not in row.token_hash
    assert row.expires_at - row.created_at == timedelta(hours=8)
    assert client.get("/dashboard").status_code == 200
    with runtime.sessions() as session:  # the login used the key
        used = session.scalar(select(ApiKey.last_used_at).where(ApiKey.prefix == secret.split("_")[1]))
    assert used is not None and row.created_at - timedelta(seconds=5) <= used <= utcnow()
    # A second login is a session of its own.
    with TestClient(create_app(runtime=runtime)) as other:
        log_in(other, secret)
        assert other.cookies[SESSION_COOKIE] != cookie
    assert len(sessions_of(runtime, secret)) == 2


def test_logout_deletes_the_session_so_a_copied_cookie_stops_working(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    secret = make_secret(runtime, tenant)
    log_in(client, secret)
    cookie = client.cookies[SESSION_COOKIE]
    assert copied_cookie_works(runtime, cookie)
    token = form_token(client.get("/dashboard").text)
    answer = client.post("/dashboard/logout", data={"csrf": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/login"
    assert SESSION_COOKIE not in client.cookies
    assert sessions_of(runtime, secret) == []
    assert not copied_cookie_works(runtime, cookie)


def test_revoking_the_key_ends_its_sessions_at_once(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    secret = make_secret(runtime, tenant, "admin")
    log_in(client, secret)
    cookie = client.cookies[SESSION_COOKIE]
    with transaction(runtime.sessions) as session:
        key = repo.get_api_key_by_ref(session, secret)
        assert key is not None and repo.revoke_api_key(session, key)
    assert not copied_cookie_works(runtime, cookie)
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/dashboard/login"
    assert sessions_of(runtime, secret) == []


def test_a_session_ends_when_idle_and_at_its_expiry_whatever_the_browser_keeps(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    secret = make_secret(runtime, tenant)

    def age(**changes: object) -> None:
        with transaction(runtime.sessions) as session:
            session.execute(update(DashboardSession).where(DashboardSession.id == row.id).values(**changes))

    log_in(client, secret)
    (row,) = sessions_of(runtime, secret)
    # Used 20 minutes ago: still on (idle timeout 30 minutes), and the use is noted.
    age(last_seen_at=utcnow() - timedelta(minutes=20))
    assert client.get(REPORT).status_code == 200
    (row,) = sessions_of(runtime, secret)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)
    # Unused for 31 minutes: ended.
    age(last_seen_at=utcnow() - timedelta(minutes=31))
    answer = client.get(REPORT)
    assert answer.status_code == 401 and "/dashboard/login" in answer.json()["detail"]
    # Busy all along but past its absolute expiry: ended too. The next login purged the idle one.
    log_in(client, secret)
    (row,) = sessions_of(runtime, secret)
    age(expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/dashboard/login"
    assert client.get(REPORT).status_code == 401


def test_a_login_post_without_its_forms_token_is_refused(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    """Login CSRF: another site's form posting its own key would log the victim into its account."""
    secret = make_secret(runtime, tenant)
    forged = client.post("/dashboard/login", data={"key": secret}, follow_redirects=False)
    assert forged.status_code == 403 and "another site" in forged.text
    assert SESSION_COOKIE not in client.cookies and sessions_of(runtime, secret) == []
    # A token of another browser's form does not fit this browser's cookie.
    with TestClient(create_app(runtime=runtime)) as attacker:
        stolen = form_token(attacker.get("/dashboard/login").text)
    client.get("/dashboard/login")
    answer = client.post("/dashboard/login", data={"key": secret, "csrf": stolen}, follow_redirects=False)
    assert answer.status_code == 403
    # The browser says the POST came from another site: refused even with a fitting pair.
    token = form_token(client.get("/dashboard/login").text)
    answer = client.post(
        "/dashboard/login",
        data={"key": secret, "csrf": token},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and sessions_of(runtime, secret) == []
    # The refusal hands out a fresh form, which works.
    assert log_in(client, secret).status_code == 303 and CSRF_COOKIE not in client.cookies


def test_a_logout_without_its_token_changes_nothing(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    secret = make_secret(runtime, tenant)
    log_in(client, secret)
    answer = client.post("/dashboard/logout", data={"csrf": "0" * 64}, follow_redirects=False)
    assert answer.status_code == 403
    assert client.get(REPORT).status_code == 200 and len(sessions_of(runtime, secret)) == 1


def assert_cookie_flags(answer: Answer, names: set[str], secure: bool) -> None:
    set_cookies = answer.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in set_cookies} == names, set_cookies
    for cookie in set_cookies:
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie, cookie
        assert ("Secure" in cookie) is secure, cookie


def login_by_hand(base: str, key: str, **headers: str) -> tuple[httpx.Response, httpx.Response]:
    """The login form and the login, as a browser sends them, with no cookie jar in between."""
    form = httpx.get(f"{base}/dashboard/login", headers=headers, timeout=30)
    answer = httpx.post(
        f"{base}/dashboard/login",
        data={"key": key, "csrf": form_token(form.text)},
        headers={**headers, "Cookie": f"{CSRF_COOKIE}={form.cookies[CSRF_COOKIE]}"},
        timeout=30,
    )
    assert answer.status_code == 303, answer.text
    return form, answer


@pytest.mark.parametrize(
    ("base_url", "always", "secure"),
    [
        ("https://leerpad.example", False, True),
        ("http://127.0.0.1", False, False),
        ("http://127.0.0.1", True, True),  # LEERPAD_SECURE_COOKIES: TLS ends at a proxy we do not list
    ],
)
@pytest.mark.backends("sqlite")
def test_the_cookies_are_httponly_strict_and_secure_over_https_or_by_setting(
    runtime: Runtime, tenant: str, base_url: str, always: bool, secure: bool
) -> None:
    settings = runtime.settings.model_copy(update={"secure_cookies": always})
    runtime = Runtime(settings, encoder=runtime.encoder())
    try:
        with TestClient(create_app(runtime=runtime), base_url=base_url) as client:
            form = client.get("/dashboard/login")
            answer = log_in(client, make_secret(runtime, tenant))
    finally:
        runtime.close()
    assert answer.status_code == 303, answer.text
    assert_cookie_flags(form, {CSRF_COOKIE}, secure)
    assert_cookie_flags(answer, {SESSION_COOKIE, CSRF_COOKIE}, secure)  # the form's secret is deleted
    assert "default-src 'none'" in form.headers["content-security-policy"]
    assert form.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("trusted", "secure"), [("127.0.0.1", True), ("192.0.2.1", False)])
@pytest.mark.backends("sqlite")
def test_behind_a_trusted_proxy_x_forwarded_proto_makes_the_cookies_secure(
    runtime: Runtime, tenant: str, trusted: str, secure: bool
) -> None:
    """uvicorn believes X-Forwarded-Proto only from FORWARDED_ALLOW_IPS: the test's own address, or not."""
    secret = make_secret(runtime, tenant)
    with served(create_app(runtime=runtime), forwarded_allow_ips=trusted) as base:
        form, answer = login_by_hand(base, secret, **{"X-Forwarded-Proto": "https"})
    assert_cookie_flags(form, {CSRF_COOKIE}, secure)
    assert_cookie_flags(answer, {SESSION_COOKIE, CSRF_COOKIE}, secure)

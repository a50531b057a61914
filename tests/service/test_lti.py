"""LTI 1.3 launches end to end against a platform emulated in the test (tests/support/lti_platform.py):
login initiation, the redirect with state and nonce, the launch POST, what each role sees, deep
linking there and back, and every refusal with its page and status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from service.app import create_app
from service.core.runtime import Runtime
from tests.support.api_keys import make_key
from tests.support.lti_platform import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    DL,
    INSTRUCTOR,
    LTI,
    Platform,
    auth_request,
    new_key,
    new_sub,
    served,
)
from tests.support.network import free_port


@pytest.fixture
def lti_client(runtime: Runtime) -> Iterator[TestClient]:
    """Over https, as an LMS reaches the tool: the state cookie is Secure."""
    with TestClient(create_app(runtime=runtime), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def platform(runtime: Runtime, company: str, lti_client: TestClient) -> Iterator[Platform]:
    """The emulated platform, its JWKS served, registered for the company through the admin API; the
    company lists the platform as an LMS whose user ids are its employee ids (so `sub` "e-1" is e-1)."""
    with served(Platform()) as emulated:
        admin = make_key(runtime, company, "admin")
        answer = lti_client.post("/v1/lti/platforms", json=emulated.registration(), headers=admin)
        assert answer.status_code == 200, answer.text
        listed = {"home_pages": [emulated.issuer]}
        assert lti_client.put("/v1/identities/home-pages", json=listed, headers=admin).status_code == 200
        yield emulated


def _login(client: TestClient, platform: Platform, method: str = "POST") -> dict[str, str]:
    params = {
        "iss": platform.issuer,
        "login_hint": "opaque-hint",
        "target_link_uri": "https://testserver/lti/launch",
        "lti_message_hint": "opaque-message-hint",
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID,
    }
    if method == "GET":
        answer = client.get("/lti/login", params=params, follow_redirects=False)
    else:
        answer = client.post("/lti/login", data=params, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return auth_request(platform, answer.headers["location"])


def _launch(client: TestClient, platform: Platform, sub: str, **token: Any) -> httpx.Response:
    auth = _login(client, platform)
    id_token = platform.id_token(auth["nonce"], sub, **token)
    return client.post("/lti/launch", data={"id_token": id_token, "state": auth["state"]})


def _framed_by(answer: httpx.Response, platform: Platform) -> None:
    policy = answer.headers["content-security-policy"]
    assert f"frame-ancestors {platform.issuer}" in policy and "frame-ancestors 'none'" not in policy
    assert "x-frame-options" not in answer.headers


def test_a_learner_launch_shows_their_own_path(
    lti_client: TestClient, runtime: Runtime, company: str, platform: Platform
) -> None:
    login = lti_client.get(
        "/lti/login",
        params={"iss": platform.issuer, "login_hint": "hint", "client_id": CLIENT_ID},
        follow_redirects=False,
    )
    assert login.status_code == 302
    cookie = login.headers["set-cookie"]
    assert "SameSite=none" in cookie.replace("samesite", "SameSite") and "Secure" in cookie.title()
    auth = auth_request(platform, login.headers["location"])
    assert auth["scope"] == "openid" and auth["response_type"] == "id_token"
    assert auth["response_mode"] == "form_post" and auth["prompt"] == "none"
    assert auth["client_id"] == CLIENT_ID and auth["redirect_uri"] == "https://testserver/lti/launch"
    assert auth["login_hint"] == "hint" and auth["state"] and auth["nonce"]

    id_token = platform.id_token(auth["nonce"], "e-1")  # e-1 is the company's employee
    page = lti_client.post("/lti/launch", data={"id_token": id_token, "state": auth["state"]})

    assert page.status_code == 200, page.text
    _framed_by(page, platform)
    api_path = lti_client.post(
        "/v1/employees/e-1/path", json={}, headers=make_key(runtime, company, "lms")
    ).json()
    titles = re.findall(r'<h3 class="step-title">(.*?)</h3>', page.text)
    assert titles and titles == [step["title"] for step in api_path["steps"]]
    assert "Your learning path" in page.text and "SQL" in page.text
    assert 'id="progress"' in page.text and "Why:" in page.text


def test_a_dutch_launch_is_answered_in_dutch(lti_client: TestClient, platform: Platform) -> None:
    page = _launch(lti_client, platform, "e-1", **{LTI + "launch_presentation": {"locale": "nl-NL"}})
    assert page.status_code == 200 and "Jouw leerpad" in page.text and 'lang="nl"' in page.text


def test_an_unmapped_learner_is_told_which_identity_to_map(
    lti_client: TestClient, platform: Platform
) -> None:
    sub = new_sub()
    page = _launch(lti_client, platform, sub, **{LTI + "lis": {"person_sourcedid": "sis-<b>42</b>"}})
    assert page.status_code == 404
    assert sub in page.text and platform.issuer in page.text and "L&amp;D administrator" in page.text
    assert "sis-&lt;b&gt;42&lt;/b&gt;" in page.text and "<b>42" not in page.text


def test_a_user_id_opens_no_employees_page_unless_the_company_listed_its_lms(
    lti_client: TestClient, runtime: Runtime, company: str, platform: Platform
) -> None:
    """Statements may take an account's name as the employee id while no LMS is listed; a launch,
    which shows that employee's own path, never does: a platform user "e-1" is not e-1 by chance."""
    admin = make_key(runtime, company, "admin")
    assert (
        lti_client.put("/v1/identities/home-pages", json={"home_pages": []}, headers=admin).status_code == 200
    )
    page = _launch(lti_client, platform, "e-1")
    assert page.status_code == 404 and "Your learning path" not in page.text
    listed = {"home_pages": [platform.issuer]}
    assert lti_client.put("/v1/identities/home-pages", json=listed, headers=admin).status_code == 200
    assert "Your learning path" in _launch(lti_client, platform, "e-1").text


def test_a_learner_is_found_through_the_identity_mapping(
    lti_client: TestClient, runtime: Runtime, company: str, platform: Platform
) -> None:
    lms = make_key(runtime, company, "lms")
    by_sub, by_sis = new_sub(), "sis-0042"
    mappings = [
        {"employee_id": "e-1", "actor": {"account": {"homePage": platform.issuer, "name": by_sub}}},
        {"employee_id": "e-1", "actor": {"account": {"homePage": platform.issuer, "name": by_sis}}},
    ]
    assert lti_client.put("/v1/identities", json=mappings, headers=lms).status_code == 200
    assert "Your learning path" in _launch(lti_client, platform, by_sub).text
    unknown_sub = _launch(lti_client, platform, new_sub(), **{LTI + "lis": {"person_sourcedid": by_sis}})
    assert unknown_sub.status_code == 200 and "Your learning path" in unknown_sub.text


def test_an_instructor_launch_shows_the_team_gap_report(lti_client: TestClient, platform: Platform) -> None:
    page = _launch(lti_client, platform, new_sub(), roles=(INSTRUCTOR,))
    assert page.status_code == 200, page.text
    _framed_by(page, platform)
    assert "Skills gap report" in page.text
    assert "n&lt;5" in page.text or "fewer than 5" in page.text  # one employee: suppressed


def _tool_key(client: TestClient, kid: str) -> Any:
    keys = client.get("/lti/jwks").json()["keys"]
    assert all("d" not in key and "p" not in key for key in keys)  # the private key is never served
    return RSAAlgorithm.from_jwk(next(key for key in keys if key["kid"] == kid))


def _deep_link(client: TestClient, platform: Platform, choice: dict[str, str]) -> dict[str, Any]:
    picker = _launch(client, platform, new_sub(), roles=(INSTRUCTOR,), message_type="LtiDeepLinkingRequest")
    assert picker.status_code == 200, picker.text
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', picker.text)
    assert launch_id
    answer = client.post("/lti/deep-link", data={"launch_id": launch_id[1], **choice})
    assert answer.status_code == 200, answer.text
    assert f'action="{platform.return_url}"' in answer.text
    assert f"form-action 'self' {platform.issuer}" in answer.headers["content-security-policy"]
    token = re.search(r'name="JWT" value="([^"]+)"', answer.text)
    assert token
    kid = jwt.get_unverified_header(token[1])["kid"]
    body: dict[str, Any] = jwt.decode(
        token[1], _tool_key(client, kid), algorithms=["RS256"], audience=platform.issuer, issuer=CLIENT_ID
    )
    assert body[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert body[LTI + "deployment_id"] == DEPLOYMENT_ID and body[DL + "data"] == "opaque-platform-data"
    return body


def test_deep_linking_places_a_unit_that_a_later_launch_shows(
    lti_client: TestClient, platform: Platform
) -> None:
    picker = _launch(
        lti_client, platform, new_sub(), roles=(INSTRUCTOR,), message_type="LtiDeepLinkingRequest"
    )
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', picker.text)
    assert launch_id
    found = lti_client.post(
        "/lti/deep-link", data={"launch_id": launch_id[1], "target": "search", "q": "sql"}
    )
    activities = re.findall(r'name="activity" value="([^"]+)"', found.text)
    assert found.status_code == 200 and activities

    body = _deep_link(lti_client, platform, {"target": "unit", "activity": activities[0]})
    (item,) = body[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == "https://testserver/lti/launch"
    assert item["custom"] == {"leerpad_target": "unit", "leerpad_activity": activities[0]}

    shown = _launch(lti_client, platform, "e-1", **{LTI + "custom": item["custom"]})
    assert shown.status_code == 200 and 'class="unit-title"' in shown.text
    assert item["title"] in shown.text.replace("&amp;", "&")


def test_deep_linking_places_the_learners_own_path(lti_client: TestClient, platform: Platform) -> None:
    body = _deep_link(lti_client, platform, {"target": "path"})
    (item,) = body[DL + "content_items"]
    assert item["custom"] == {"leerpad_target": "path"} and item["title"] == "My learning path"
    shown = _launch(lti_client, platform, "e-1", **{LTI + "custom": item["custom"]})
    assert shown.status_code == 200 and "Your learning path" in shown.text


@pytest.mark.parametrize(
    ("token", "status", "reason"),
    [
        ({"expires_in": -60}, 401, "expired"),
        ({"aud": "another-tool"}, 403, "wrong_audience"),
        ({LTI + "deployment_id": "deployment-9"}, 403, "unknown_deployment"),
        ({"iss": "https://unknown-lms.example"}, 403, "unknown_issuer"),
        ({"signing_key": "other"}, 401, "bad_signature"),
    ],
)
def test_a_launch_that_fails_a_check_is_refused_with_a_page(
    lti_client: TestClient, platform: Platform, token: dict[str, Any], status: int, reason: str
) -> None:
    if token.get("signing_key") == "other":
        token = {"signing_key": new_key()}
    page = _launch(lti_client, platform, "e-1", **token)
    assert page.status_code == status, page.text
    assert f'data-reason="{reason}"' in page.text and 'id="fix"' in page.text
    assert "Your learning path" not in page.text


def test_a_replayed_launch_is_refused(lti_client: TestClient, platform: Platform) -> None:
    auth = _login(lti_client, platform)
    form = {"id_token": platform.id_token(auth["nonce"], "e-1"), "state": auth["state"]}
    assert lti_client.post("/lti/launch", data=form).status_code == 200
    again = lti_client.post("/lti/launch", data=form)
    assert again.status_code == 401 and 'data-reason="replayed"' in again.text


def test_a_platform_whose_keyset_cannot_be_fetched_gets_a_clear_page(
    lti_client: TestClient, runtime: Runtime, company: str
) -> None:
    silent = Platform(jwks_url=f"http://127.0.0.1:{free_port()}/jwks")  # nothing listens there
    admin = make_key(runtime, company, "admin")
    assert lti_client.post("/v1/lti/platforms", json=silent.registration(), headers=admin).status_code == 200
    page = _launch(lti_client, silent, "e-1")
    assert page.status_code == 502 and 'data-reason="keyset_unreachable"' in page.text


def test_a_launch_without_its_state_is_refused(lti_client: TestClient, platform: Platform) -> None:
    auth = _login(lti_client, platform)
    id_token = platform.id_token(auth["nonce"], "e-1")
    missing = lti_client.post("/lti/launch", data={"id_token": id_token})
    assert missing.status_code == 400 and 'data-reason="state"' in missing.text
    lti_client.cookies.clear()  # another browser: the state is not this one's
    foreign = lti_client.post("/lti/launch", data={"id_token": id_token, "state": auth["state"]})
    assert foreign.status_code == 400 and 'data-reason="state"' in foreign.text


def test_a_login_from_an_unregistered_platform_is_refused(lti_client: TestClient, platform: Platform) -> None:
    page = lti_client.post(
        "/lti/login", data={"iss": "https://nobody.example", "login_hint": "x"}, follow_redirects=False
    )
    assert page.status_code == 403 and 'data-reason="unknown_issuer"' in page.text


def test_platform_registrations_are_for_admins_and_one_tenant(
    lti_client: TestClient, runtime: Runtime, company: str, platform: Platform
) -> None:
    admin = make_key(runtime, company, "admin")
    listed = lti_client.get("/v1/lti/platforms", headers=admin).json()
    assert [p["issuer"] for p in listed] == [platform.issuer] and listed[0]["deployment_ids"] == [
        DEPLOYMENT_ID
    ]
    ld = make_key(runtime, company, "ld")
    assert lti_client.get("/v1/lti/platforms", headers=ld).status_code == 403
    other = make_key(runtime, company + "-other", "admin")
    taken = lti_client.post("/v1/lti/platforms", json=platform.registration(), headers=other)
    assert taken.status_code == 409
    plain_http = {**platform.registration(), "auth_login_url": "http://lms.example/auth"}
    assert lti_client.post("/v1/lti/platforms", json=plain_http, headers=admin).status_code == 422

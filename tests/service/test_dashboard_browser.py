"""The L&D dashboard as a user sees it: the app served for real by uvicorn, driven by headless
Chromium through Selenium. Login with an ld key, the heatmap's cells against the JSON report, a
team filter, small teams suppressed, the CSV link against the JSON, and who may not get in.

Needs Debian's `chromium` and `chromium-driver`; without them these tests fail (they never skip),
because a dashboard nobody has looked at in a browser is not tested.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from ingest.taxonomy import read_default_taxonomy
from models import repositories as repo
from models.db import transaction
from service.app import create_app
from service.core.runtime import Runtime
from service.http.cookies import SESSION_COOKIE as COOKIE
from service.http.deps import Caller
from service.http.errors import install_error_handlers
from service.reports.dashboard.access import browser_or_bearer_caller
from service.reports.dashboard.sessions import SessionPolicy, open_session
from service.skills.taxonomy import import_taxonomy
from tests.support.browser import WAIT, chromium, served
from tests.support.catalogs import ROWS, write_csv
from tests.support.xapi import statement

# team -> SQL level a test showed, per analyst (None: no evidence). data and ops are reportable;
# small (3) and tiny (2) are not, but hold five people together, so no other cell must be hidden
# to keep the "all teams" total from revealing them.
STAFF: dict[str, list[int | None]] = {
    "data": [1, 2, 3, None, 4, 2],
    "ops": [1, 1, 2, None, 3],
    "small": [0, 1, 2],
    "tiny": [2, 3],
}
TEAMS = ["data", "ops", "small", "tiny", "all teams"]
SUPPRESSED_TEXT = "n<5"  # what a reader sees in place of a hidden figure


@dataclass(frozen=True)
class Site:
    base: str
    tenant: str
    ld_key: str
    lms_key: str

    def bearer(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def gaps(self, **params: str) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.base}/v1/reports/gaps", params=params, headers=self.bearer(self.ld_key), timeout=30
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result


def _key(runtime: Runtime, tenant: str, role: str) -> str:
    with transaction(runtime.sessions) as session:
        _, secret = repo.create_api_key(session, repo.get_or_create_tenant(session, tenant), role)
    return secret


def _load_company(
    client: TestClient, runtime: Runtime, tenant: str, catalog: Path, lms: str, ld: str
) -> None:
    """Analysts in four teams with SQL test results, and learning events of the data team."""
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(tenant, "csv", write_csv(catalog, ROWS))
    analyst = {
        "name": "Analyst",
        "skills": [
            {"skill": "SQL", "level": 4, "importance": "essential"},
            {"skill": "feedback geven", "level": 3, "importance": "optional"},
            {"skill": "Fietsjes ritprijs-engine", "level": 2, "importance": "essential"},
        ],
    }
    headers_ld, headers_lms = {"Authorization": f"Bearer {ld}"}, {"Authorization": f"Bearer {lms}"}
    assert client.put("/v1/roles/analyst", json=analyst, headers=headers_ld).status_code == 200
    for team, levels in STAFF.items():
        for number, level in enumerate(levels):
            employee = f"{team}-{number}"
            body = {"role": "analyst", "team": team, "language": "nl"}
            assert client.put(f"/v1/employees/{employee}", json=body, headers=headers_lms).status_code == 200
            if level is not None:
                evidence = [{"skill": "SQL", "level": level, "source": "test"}]
                answer = client.post(
                    f"/v1/employees/{employee}/assessments", json=evidence, headers=headers_lms
                )
                assert answer.status_code == 200, answer.text
    items = client.get("/v1/catalog/items", headers=headers_lms).json()["items"]
    sql = next(item for item in items if item["external_id"] == "sql-1")
    when = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    events = [
        statement(f"data-{n}", "completed", sql["activity_id"], timestamp=when, result={"duration": "PT20M"})
        for n in range(5)
    ]
    answer = client.post("/v1/events", json=events, headers=headers_lms)
    assert answer.status_code == 200 and answer.json()["accepted"] == len(events), answer.text


@pytest.fixture(scope="module")
def site(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The company above, and the app serving it over TCP from a thread."""
    tenant = f"dash-{uuid.uuid4().hex[:8]}"
    ld, lms = _key(runtime, tenant, "ld"), _key(runtime, tenant, "lms")
    app = create_app(runtime=runtime)
    with TestClient(app) as client:
        _load_company(client, runtime, tenant, tmp_path_factory.mktemp("dash") / "c.csv", lms, ld)
    with served(app) as base:
        yield Site(base, tenant, ld, lms)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile that talks to nothing but the test server."""
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


@pytest.fixture
def user(browser: WebDriver, site: Site) -> WebDriver:
    """The browser, logged out, at the start of each test."""
    browser.delete_all_cookies()
    return browser


def log_in(browser: WebDriver, site: Site, key: str, refused: bool = False) -> None:
    """Fill in the login form; the next page is the dashboard, or the form again with an error."""
    browser.get(f"{site.base}/dashboard/login")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "login-submit").click()
    try:
        WebDriverWait(browser, WAIT).until(
            lambda b: b.current_url == f"{site.base}/dashboard" or b.find_elements(By.ID, "login-error")
        )
    except TimeoutException:
        text = browser.find_element(By.TAG_NAME, "body").text
        console = [entry.get("message", "") for entry in browser.get_log("browser")]
        pytest.fail(
            f"no answer to the login form within {WAIT} s: at {browser.current_url}, page {text[:300]!r},"
            f" console {console[-5:]}"
        )
    expected = "login-error" if refused else "heatmap"
    if not browser.find_elements(By.ID, expected):
        text = browser.find_element(By.TAG_NAME, "body").text
        pytest.fail(f"after logging in, no #{expected} at {browser.current_url}: {text[:500]}")


def shown_cells(browser: WebDriver) -> dict[tuple[str, int], dict[str, str]]:
    """Every heatmap cell on the page: its text as rendered, its classes and its tooltip (after
    asking for all skills, when there are more than the dashboard shows at first)."""
    for more in browser.find_elements(By.CSS_SELECTOR, "#heatmap-toggle .when-collapsed"):
        if more.is_displayed():
            more.click()
    cells = {}
    for element in browser.find_elements(By.CSS_SELECTOR, "#heatmap td.cell[data-team]"):
        key = (element.get_attribute("data-team") or "", int(element.get_attribute("data-skill-id") or -1))
        assert key not in cells, f"cell {key} shown twice"
        cells[key] = {
            "text": element.text,
            "class": element.get_attribute("class") or "",
            "title": element.get_attribute("title") or "",
        }
    return cells


def expected_text(cell: dict[str, Any]) -> str:
    if cell["suppressed"]:
        return SUPPRESSED_TEXT if cell["employees"] < 5 else "–"
    return f"{cell['weighted_gap']:.2f}"


def assert_heatmap_is(browser: WebDriver, report: dict[str, Any]) -> None:
    shown = shown_cells(browser)
    expected = {(c["team"], c["skill_id"]): c for c in report["heatmap"]["cells"]}
    assert set(shown) == set(expected)
    for key, cell in expected.items():
        assert shown[key]["text"] == expected_text(cell), key
        assert ("suppressed" in shown[key]["class"].split()) == cell["suppressed"], key
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#heatmap thead th.team-head")]
    assert headers == report["heatmap"]["teams"]
    labels = [
        th.text.replace("no content", "").strip()
        for th in browser.find_elements(By.CSS_SELECTOR, "#heatmap tbody th")
    ]
    assert labels == [skill["label"] for skill in report["heatmap"]["skills"]]


@pytest.mark.backends("sqlite")
def test_the_dashboard_sends_strangers_to_the_login_page(user: WebDriver, site: Site) -> None:
    user.get(f"{site.base}/dashboard")
    assert user.current_url == f"{site.base}/dashboard/login"
    assert user.find_element(By.ID, "login-form").is_displayed()
    log_in(user, site, "lp_000000000000_not-a-key", refused=True)
    assert "not valid" in user.find_element(By.ID, "login-error").text
    assert user.get_cookie(COOKIE) is None


@pytest.mark.backends("sqlite")
def test_an_lms_key_cannot_log_in(user: WebDriver, site: Site) -> None:
    log_in(user, site, site.lms_key, refused=True)
    message = user.find_element(By.ID, "login-error").text
    assert "'lms'" in message and "'ld'" in message
    assert user.get_cookie(COOKIE) is None
    user.get(f"{site.base}/dashboard")
    assert user.current_url == f"{site.base}/dashboard/login"


@pytest.mark.backends("sqlite")
def test_the_heatmap_shows_the_reports_cells_and_hides_small_teams(user: WebDriver, site: Site) -> None:
    log_in(user, site, site.ld_key)
    assert user.current_url == f"{site.base}/dashboard"
    cookie = user.get_cookie(COOKIE)
    assert cookie is not None and cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    report = site.gaps()
    assert report["heatmap"]["teams"] == TEAMS and report["suppressed"] is False
    assert_heatmap_is(user, report)

    shown = shown_cells(user)
    sql = next(s["skill_id"] for s in report["heatmap"]["skills"] if s["label"] == "SQL")
    data_sql = shown[("data", sql)]
    assert data_sql["text"] != SUPPRESSED_TEXT and "fewer than 5" not in data_sql["title"]
    for team in ("small", "tiny"):
        for skill in report["heatmap"]["skills"]:
            cell = shown[(team, skill["skill_id"])]
            assert cell["text"] == SUPPRESSED_TEXT and "suppressed" in cell["class"].split()
            assert "fewer than 5 employees" in cell["title"]


@pytest.mark.backends("sqlite")
def test_the_kpi_tiles_and_trend_charts_show_the_kpi_report(user: WebDriver, site: Site) -> None:
    log_in(user, site, site.ld_key)
    kpis = httpx.get(f"{site.base}/v1/reports/kpis", headers=site.bearer(site.ld_key), timeout=30).json()
    participation = kpis["participation_rate"]["value"]
    assert participation == round(5 / 16, 4)
    tile = user.find_element(By.CSS_SELECTOR, '[data-kpi="participation"] .tile-value')
    assert tile.text == "31%"
    tiles = user.find_elements(By.CSS_SELECTOR, "#kpis [data-kpi]")
    assert [t.get_attribute("data-kpi") for t in tiles] == [
        "participation",
        "completion",
        "minutes",
        "active_paths",
        "effectiveness",
        "kirkpatrick_1",
        "kirkpatrick_2",
        "kirkpatrick_3",
        "roi",
    ]
    # One dot per period with a participation figure, on the rates chart.
    rates = user.find_element(By.ID, "chart-rates")
    dots = rates.find_elements(By.CSS_SELECTOR, "circle")
    periods = [p for p in kpis["series"] if p["participation_rate"]["value"] is not None]
    assert len(dots) >= len(periods) > 0
    bars = user.find_elements(By.CSS_SELECTOR, "#chart-minutes rect.bar")
    assert len(bars) == sum(1 for p in kpis["series"] if p["minutes_per_employee"]["value"] is not None) > 0


@pytest.mark.backends("sqlite")
def test_a_team_filter_changes_the_heatmap(user: WebDriver, site: Site) -> None:
    log_in(user, site, site.ld_key)
    Select(user.find_element(By.ID, "filter-team")).select_by_visible_text("data")
    user.find_element(By.ID, "apply-filters").click()
    WebDriverWait(user, WAIT).until(lambda b: "team=data" in b.current_url)
    filtered = site.gaps(team="data")
    assert filtered["heatmap"]["teams"] == ["data", "all teams"]
    assert_heatmap_is(user, filtered)
    assert {team for team, _ in shown_cells(user)} == {"data", "all teams"}
    assert Select(user.find_element(By.ID, "filter-team")).first_selected_option.text == "data"
    assert "team=data" in (user.find_element(By.ID, "csv-link").get_attribute("href") or "")

    # Narrowed to a team of three, everything is hidden, and the page says why.
    Select(user.find_element(By.ID, "filter-team")).select_by_visible_text("small")
    user.find_element(By.ID, "apply-filters").click()
    WebDriverWait(user, WAIT).until(lambda b: "team=small" in b.current_url)
    assert "hidden for privacy" in user.find_element(By.ID, "report-suppressed").text
    small = shown_cells(user)
    assert small and all(cell["text"] == SUPPRESSED_TEXT for cell in small.values())
    assert (
        user.find_element(By.CSS_SELECTOR, '[data-kpi="participation"] .tile-value').text == SUPPRESSED_TEXT
    )

    # A hand-made URL naming a team the company does not have says so.
    user.get(f"{site.base}/dashboard?team=nobody")
    assert "nobody" in user.find_element(By.ID, "message").text


@pytest.mark.backends("sqlite")
def test_the_csv_link_downloads_the_heatmap_of_the_json_report(user: WebDriver, site: Site) -> None:
    log_in(user, site, site.ld_key)
    href = user.find_element(By.ID, "csv-link").get_attribute("href")
    assert href and href.startswith(f"{site.base}/v1/reports/gaps?") and "format=csv" in href
    cookie = user.get_cookie(COOKIE)
    assert cookie is not None
    answer = httpx.get(href, cookies={COOKIE: cookie["value"]}, timeout=30)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    cells = site.gaps()["heatmap"]["cells"]
    assert len(rows) == len(cells) > 0
    for row, cell in zip(rows, cells, strict=True):
        assert (row["team"], int(row["skill_id"]), int(row["employees"])) == (
            cell["team"],
            cell["skill_id"],
            cell["employees"],
        )
        assert row["weighted_gap"] == ("" if cell["weighted_gap"] is None else str(cell["weighted_gap"]))
        assert row["suppressed"] == str(cell["suppressed"]).lower()
    # Without the cookie the link is refused.
    assert httpx.get(href, timeout=30).status_code == 401


@pytest.mark.backends("sqlite")
def test_logging_out_ends_the_session(user: WebDriver, site: Site) -> None:
    log_in(user, site, site.ld_key)
    user.find_element(By.CSS_SELECTOR, "#logout button").click()
    WebDriverWait(user, WAIT).until(lambda b: b.current_url.endswith("/dashboard/login"))
    assert user.get_cookie(COOKIE) is None
    user.get(f"{site.base}/dashboard")
    assert user.current_url == f"{site.base}/dashboard/login"


# --- the cookie as a credential, without a browser -------------------------------------------------


def _session(runtime: Runtime, key: str) -> str:
    """A session opened for the key, as the login does."""
    policy = SessionPolicy.from_settings(runtime.settings)
    with transaction(runtime.sessions) as session:
        found = repo.find_api_key(session, key)
        tenant = repo.get_tenant_by_id(session, found.tenant_id) if found else None
        assert found is not None and tenant is not None
        caller = Caller(found.id, tenant.id, tenant.slug, found.role, found.employee_id)
        return open_session(session, caller, policy)


@pytest.mark.backends("sqlite")
def test_the_cookie_authenticates_get_requests_only_and_only_for_ld_and_admin(
    runtime: Runtime, tenant: str
) -> None:
    """A page elsewhere could make a logged-in browser POST; the cookie must not count there."""
    probe = FastAPI()
    install_error_handlers(probe)
    probe.state.runtime = runtime

    @probe.api_route("/probe", methods=["GET", "POST"])
    def _probe(caller: Annotated[Caller, Depends(browser_or_bearer_caller)]) -> dict[str, str]:
        return {"role": caller.role, "tenant": caller.tenant_slug}

    ld, lms = _key(runtime, tenant, "ld"), _key(runtime, tenant, "lms")
    with TestClient(probe) as client:
        client.cookies.set(COOKIE, _session(runtime, ld))
        assert client.get("/probe").json() == {"role": "ld", "tenant": tenant}
        assert client.post("/probe").status_code == 401
        assert client.post("/probe", headers={"Authorization": f"Bearer {ld}"}).status_code == 200
        # A bearer header, when sent, is the credential: a bad one is not rescued by the cookie.
        assert client.get("/probe", headers={"Authorization": "Bearer lp_0_nope"}).status_code == 401
        client.cookies.set(COOKIE, _session(runtime, lms))  # not through the login form
        assert client.get("/probe").status_code == 403
        client.cookies.set(COOKIE, ld)  # the key itself is no session
        assert client.get("/probe").status_code == 401
        client.cookies.set(COOKIE, "lp_000000000000_revoked")
        answer = client.get("/probe")
        assert answer.status_code == 401 and "/dashboard/login" in answer.json()["detail"]


@pytest.mark.backends("sqlite")
def test_a_login_form_posted_from_another_site_is_refused(user: WebDriver, site: Site) -> None:
    """Login CSRF: a page on another site posts its own key to our login form, to log the victim's
    browser into the attacker's account. Chromium sends it without our cookies; nothing opens."""
    evil = FastAPI()

    @evil.get("/", response_class=HTMLResponse)
    def _page() -> str:
        return (
            f'<form method="post" action="{site.base}/dashboard/login">'
            f'<input type="hidden" name="key" value="{site.ld_key}">'
            '<button id="win" type="submit">Win a prize</button></form>'
        )

    user.get(f"{site.base}/dashboard/login")  # the victim has seen the login form (and its cookie)
    with served(evil) as evil_base:
        user.get(evil_base.replace("127.0.0.1", "localhost") + "/")  # another site
        user.find_element(By.ID, "win").click()
        WebDriverWait(user, WAIT).until(lambda b: b.current_url.startswith(site.base))
    assert "another site" in user.find_element(By.ID, "login-error").text
    assert user.get_cookie(COOKIE) is None
    user.get(f"{site.base}/dashboard")
    assert user.current_url == f"{site.base}/dashboard/login"

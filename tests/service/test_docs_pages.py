"""/docs (Swagger UI) and /redoc (ReDoc) on a machine without internet: their scripts come from the
project (the fastapi-offline wheel), the pages name no outside host, and headless Chromium, with
every name but 127.0.0.1 unresolvable, renders the operations list from /openapi.json."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from service.app import create_app
from service.core.runtime import Runtime
from service.http.api_docs import DOCS_POLICY
from tests.support.browser import WAIT, chromium, served

PAGES = ("/docs", "/redoc")
# A few operations every reader looks for, as (method, path).
OPERATIONS = [
    ("get", "/v1/search"),
    ("get", "/v1/catalog/items"),
    ("put", "/v1/roles/{role_id}"),
    ("get", "/healthz"),
]
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"  # no name resolves but ours
URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(https?://[^\s"'<>)]+)""")


@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.backends("sqlite")
def test_page_names_no_outside_host_and_its_assets_are_served(client: TestClient, page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
    base = str(client.base_url)
    urls = {urljoin(base + page, attr or bare) for attr, bare in URL.findall(answer.text)}
    outside = sorted(url for url in urls if urlsplit(url).netloc != urlsplit(base).netloc)
    assert not outside, f"{page} loads from outside the server: {outside}"
    scripts = [url for url in urls if url.endswith(".js")]
    assert scripts, f"{page} names no script of its own"
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, f"{page} names {url}: {asset.status_code}"
    assert answer.headers["content-security-policy"] == DOCS_POLICY


def test_the_docs_policy_allows_no_outside_host() -> None:
    """The browser is told to fetch from the server alone (ReDoc's bundle names its CDN's logo)."""
    for directive in DOCS_POLICY.split(";"):
        _, *sources = directive.split()
        assert all(s in ("'self'", "'none'", "'unsafe-inline'", "data:", "blob:") for s in sources), directive


@pytest.fixture(scope="module")
def base(runtime: Runtime) -> Iterator[str]:
    with served(create_app(runtime=runtime)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    with chromium(tmp_path_factory.mktemp("chromium-docs"), OFFLINE) as driver:
        yield driver


def assert_nothing_fetched_from_outside(browser: Chrome, base: str) -> None:
    """Every resource the page asked for is the server's; any other was refused by the page's policy
    before a request was made (the console says so), so nothing reached another host."""
    names: list[str] = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    console = [entry["message"] for entry in browser.get_log("browser")]
    for name in names:
        if not name.startswith(base + "/"):
            refused = [m for m in console if name in m and "Content Security Policy" in m]
            assert refused, f"{browser.current_url} fetched {name}; console: {console}"


@pytest.mark.backends("sqlite")
def test_docs_renders_the_operations_list_offline(browser: Chrome, base: str) -> None:
    browser.get(f"{base}/docs")
    WebDriverWait(browser, WAIT).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    shown = {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.lower(),
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in browser.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    assert set(OPERATIONS) <= shown, f"missing from /docs: {set(OPERATIONS) - shown}"
    assert len(shown) >= 25
    assert "Leerpad" in browser.find_element(By.CSS_SELECTOR, ".info .title").text
    assert_nothing_fetched_from_outside(browser, base)


@pytest.mark.backends("sqlite")
def test_redoc_renders_the_operations_offline(browser: Chrome, base: str) -> None:
    browser.get(f"{base}/redoc")
    WebDriverWait(browser, WAIT).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "[data-section-id*='/operation/']")
    )
    operations = browser.find_elements(By.CSS_SELECTOR, "[data-section-id*='/operation/']")
    assert len(operations) >= 25
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Leerpad")
    text = browser.find_element(By.TAG_NAME, "body").get_attribute("textContent") or ""
    for _, path in OPERATIONS:
        assert path in text, f"{path} is not on /redoc"
    assert_nothing_fetched_from_outside(browser, base)

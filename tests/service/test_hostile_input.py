"""Hostile input through the API, as an attacker or a careless integrator sends it (issue #18): every
case has its expected answer, and a refused request leaves nothing stored changed (`stored`: every row
of the tenant in every table, the audit log aside, which files every request on purpose).

| input | expected answer | tested |
|---|---|---|
| a body over LEERPAD_MAX_JSON_BYTES, on every route that takes one | 413, cut off while it streams in | here; streaming and the cap's size: test_limits.py |
| an upload over LEERPAD_MAX_UPLOAD_BYTES | 413 | test_api_catalog.py::test_oversize_upload_gets_413 |
| JSON nested 100,000 deep, every route | 400 (the body cannot be parsed) | here |
| free-form values nested past 32 | 422 or the statement rejected | test_limits.py::test_free_form_json_too_deep_to_send_back_is_refused |
| over-limit counts (1,001 statements, a page's limit) | 422 naming the limit | test_limits.py |
| a JSON body sent as text/plain, XML, a form or multipart | 422 | here |
| a query string with a known parameter over its limit, or 60 KB of unknown ones | 422 naming the parameter; unknown ones ignored (the audit log keeps at most 50, 200 characters each) | here |
| NUL, an unpaired surrogate | 422 naming the field | test_limits.py |
| C0/C1 controls and bidi controls in a name or label | 422 naming the field and the character | here |
| ... in catalog text | dropped | tests/ingest/test_catalog_text.py |
| formula and script payloads in every name, label and catalog text that reaches a CSV or HTML | CSV cells quoted, HTML escaped, links only http(s) | here; test_csv_export.py; test_dashboard_render.py |
| a catalog url that is not http(s) | the field rejected with its line, the row kept | here (upload); tests/ingest/test_urls.py (every source) |
| zip slip, links and bombs in a Confluence zip | import refused naming the member | here (upload); tests/ingest/test_wiki.py |
| XML external entities | MediaWiki import refused; Confluence HTML reads no file | here (upload); test_wiki.py; tests/ingest/test_wiki_hostile.py |
| symbolic links out of a wiki folder | the page rejected naming it | tests/ingest/test_wiki_hostile.py |
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models import repositories as repo
from models.tables import Base
from service.app import create_app
from service.catalog.router import UPLOAD_PATH
from service.core.csv_export import FORMULA_STARTS
from service.core.runtime import Runtime
from service.core.settings import Settings
from tests.support.api_keys import make_key
from tests.support.jobs import run_job

JSON = {"Content-Type": "application/json"}
PROBLEM = "application/problem+json"
DOCUMENT = create_app(Settings()).openapi()
# Every operation of the document that takes a body, path parameters filled in.
BODY_ROUTES = [
    (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if "requestBody" in operation
]
# Routes whose body is a form or a file rather than JSON: the catalog upload, a badge from elsewhere,
# the badge verification page's form.
FORM_ROUTES = [
    (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if "requestBody" in operation and "application/json" not in operation["requestBody"].get("content", {})
]
JSON_ROUTES = [route for route in BODY_ROUTES if route not in FORM_ROUTES]
LRS = "/xapi/"  # the LRS's routes answer 400 where the others answer 422, and need the version header


def lrs_headers(path: str) -> dict[str, str]:
    return {"X-Experience-API-Version": "1.0.3"} if path.startswith(LRS) else {}


def stored(runtime: Runtime, tenant: str) -> dict[str, list[str]]:
    """Every row the tenant has in every table that names its tenant, the audit log and when each key
    was last used aside (a refused request still used its key)."""
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        return {
            table.name: sorted(
                repr(tuple(r))
                for r in session.execute(
                    select(*(c for c in table.c if c.name != "last_used_at")).where(
                        table.c.tenant_id == row.id
                    )
                )
            )
            for table in Base.metadata.sorted_tables
            if "tenant_id" in table.c and table.name != "audit_log"
        }


def key_for(
    client: TestClient, admin: dict[str, str], employee: dict[str, str], method: str, path: str
) -> dict[str, str]:
    """The admin's key, or for a route only the employee may use (their badge consent) the key of
    employee "1", whose id the routes' paths carry."""
    return employee if client.request(method, path, headers=admin).status_code == 403 else admin


@pytest.fixture
def admin(runtime: Runtime, tenant: str) -> dict[str, str]:
    return make_key(runtime, tenant)


def problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, (answer.request.method, answer.request.url.path, answer.text[:300])
    assert answer.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = answer.json()
    return body


def test_every_route_that_takes_a_body_refuses_one_over_the_json_cap(
    runtime: Runtime, tenant: str, admin: dict[str, str]
) -> None:
    settings = runtime.settings.model_copy(update={"max_json_bytes": 1024})
    before = stored(runtime, tenant)
    body = json.dumps({"name": "R", "skills": [], "padding": "x" * 2000})
    with TestClient(create_app(settings=settings, runtime=runtime)) as small:
        for method, path in JSON_ROUTES:
            assert (
                "1024 bytes"
                in problem(small.request(method, path, content=body, headers={**admin, **JSON}), 413)[
                    "detail"
                ]
            )
        login = small.post("/dashboard/login", data={"key": "x" * 2000})
        assert problem(login, 413)["status"] == 413
    assert stored(runtime, tenant) == before


def test_json_nested_past_the_parser_gets_400_on_every_route(
    client: TestClient, runtime: Runtime, tenant: str, admin: dict[str, str]
) -> None:
    employee = make_key(runtime, tenant, "employee", "1")
    before = stored(runtime, tenant)
    deep = "[" * 100_000 + "]" * 100_000
    for method, path in JSON_ROUTES:
        key = key_for(client, admin, employee, method, path)
        answer = client.request(method, path, content=deep, headers={**key, **JSON, **lrs_headers(path)})
        expected = "body: JSON nested too deep" if path.startswith(LRS) else "parsing the body"
        assert expected in problem(answer, 400)["detail"], (method, path)
    assert stored(runtime, tenant) == before


@pytest.mark.parametrize(
    "sent",
    [
        {"content": '{"name": "R", "skills": []}', "headers": {"Content-Type": "text/plain"}},
        {"content": "<role><name>R</name></role>", "headers": {"Content-Type": "application/xml"}},
        {"data": {"name": "R"}},
        {"files": {"file": ("role.json", b'{"name": "R", "skills": []}', "application/json")}},
    ],
    ids=["text", "xml", "form", "multipart"],
)
def test_a_body_in_the_wrong_content_type_gets_422_on_every_route(
    client: TestClient, runtime: Runtime, tenant: str, admin: dict[str, str], sent: dict[str, Any]
) -> None:
    employee = make_key(runtime, tenant, "employee", "1")
    before = stored(runtime, tenant)
    for method, path in [*JSON_ROUTES, ("POST", UPLOAD_PATH)]:  # a badge upload: tests/service/test_badges.py
        key = key_for(client, admin, employee, method, path)
        headers = {**key, **sent.get("headers", {}), **lrs_headers(path)}
        answer = client.request(
            method, path, **{k: v for k, v in sent.items() if k != "headers"}, headers=headers
        )
        status = 400 if path.startswith(LRS) else 422  # xAPI asks for 400
        assert problem(answer, status)["detail"].startswith(
            ("body", "query.kind", "query.statementId", "statements")
        ), (
            method,
            path,
        )
    assert stored(runtime, tenant) == before


def test_huge_query_strings(client: TestClient, runtime: Runtime, tenant: str, admin: dict[str, str]) -> None:
    """A known parameter over its limit is 422 naming it; unknown ones are ignored, and the audit log
    keeps at most 50 of them, 200 characters each (service.trust.audit)."""
    for path, name in (
        ("/v1/search", "q"),
        ("/v1/skills", "q"),
        ("/v1/catalog/items", "q"),
        ("/v1/reports/gaps", "team"),
    ):
        assert problem(client.get(path, params={name: "x" * 20_000}, headers=admin), 422)[
            "detail"
        ].startswith(f"query.{name}")
    junk = "&".join(f"p{n}={'v' * 10}" for n in range(3500))  # 60 KB: the test client sends at most 64 KB
    assert client.get(f"/v1/roles?{junk}", headers=admin).status_code == 200
    entries = client.get("/v1/audit", params={"limit": 500}, headers=admin).json()["entries"]
    assert [len(e["query"]) for e in entries if e["route"] == "/v1/roles"] == [50]


@pytest.mark.parametrize("control", ["\x1b[31m", "\x07", "\u202e", "\u2066", "\x9b", "\t", "\n"])
def test_control_characters_in_names_and_labels_get_422_naming_the_field(
    client: TestClient, runtime: Runtime, tenant: str, admin: dict[str, str], control: str
) -> None:
    """A terminal obeys ESC [31m (`leerpad report gaps` prints team names and skill labels), and a bidi
    override makes a team or skill read as other text in a report; blanks around a name are dropped."""
    before = stored(runtime, tenant)
    for method, path, body, field in (
        ("PUT", "/v1/employees/e-1", {"team": f"Data{control}Ops"}, "body.team"),
        ("PUT", "/v1/roles/r-1", {"name": f"Analist{control}x", "skills": []}, "body.name"),
        (
            "PUT",
            "/v1/roles/r-1",
            {"name": "A", "skills": [{"skill": f"SQL{control}x", "level": 2}]},
            "body.skills.0.skill",
        ),
        ("POST", "/v1/skills", {"label": f"Excel{control}x"}, "body.label"),
        (
            "POST",
            "/v1/recommendations",
            {"skills": [{"skill": f"a{control}b", "current": 0, "target": 2}]},
            "body.skills.0.skill",
        ),
    ):
        detail = problem(client.request(method, path, json=body, headers=admin), 422)["detail"]
        assert detail.startswith(field) and f"U+{ord(control[0]):04X}" in detail, detail
    assert stored(runtime, tenant) == before
    padded = client.put("/v1/employees/e-1", json={"team": "\t Data Ops \n"}, headers=admin)
    assert padded.status_code == 200 and padded.json()["team"] == "Data Ops"


# Payloads a spreadsheet runs or a browser executes, in every name, label and catalog text that reaches
# the gap report (CSV and HTML), search and the catalog.
SCRIPT = '<script>alert("x")</script>'
IMAGE = "<img src=x onerror=alert(1)>"
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
CATALOG = [
    ["external_id", "title", "description", "url", "provider", "skills"],
    [
        "evil-1",
        f"{SCRIPT} SQL",
        f"Leer SQL {IMAGE}",
        "javascript:alert(1)",
        "=cmd|' /C calc'!A0",
        f"{HYPERLINK};SQL",
    ],
    [
        "evil-2",
        "@SUM(1+1) Excel",
        "Formules in Excel.",
        "https://lms.example/excel",
        "+provider",
        "-2+3;Excel",
    ],
]


class Page(HTMLParser):
    """What a browser would run: script elements, on* attributes, and the links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts = 0
        self.handlers: list[str] = []
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src")]


def test_formula_and_script_payloads_are_neutralised_everywhere_they_are_shown(
    client: TestClient, runtime: Runtime, tenant: str, admin: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "evil.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(CATALOG)
    report = runtime.ingest(tenant, "csv", path)
    assert [(r.line, r.field) for r in report.rejected] == [(2, "url")] and report.created == 2
    role = {"name": SCRIPT, "skills": [{"skill": HYPERLINK, "level": 3}, {"skill": IMAGE, "level": 3}]}
    assert client.put("/v1/roles/evil", json=role, headers=admin).status_code == 200
    for number, team in enumerate(["=1+1", "@SUM(A1)", "-2+3", "+cmd", SCRIPT] * 5):
        body = {"role": "evil", "team": team, "language": "nl"}
        assert client.put(f"/v1/employees/e-{number}", json=body, headers=admin).status_code == 200

    answer = client.get("/v1/reports/gaps", params={"format": "csv"}, headers=admin)
    rows = list(csv.reader(io.StringIO(answer.text, newline="")))
    cells = {cell for row in rows for cell in row}
    assert {"'=1+1", "'@SUM(A1)", "'-2+3", "'+cmd", "'" + HYPERLINK, SCRIPT} <= cells
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)

    html = client.get("/v1/reports/gaps", params={"format": "html"}, headers=admin).text
    page = Page(html)
    assert page.scripts == 0 and page.handlers == [] and SCRIPT not in html and IMAGE not in html
    links = [href for href in page.hrefs if href != "data:,"]  # the page's own empty icon
    assert all(href.startswith(("https://", "http://", "#", "/")) for href in links), links

    items = client.get("/v1/catalog/items", headers=admin).json()["items"]
    found = client.get("/v1/search", params={"q": "SQL Excel"}, headers=admin).json()["results"]
    urls = (
        [i["url"] for i in items] + [u["url"] for i in items for u in i["units"]] + [h["url"] for h in found]
    )
    assert found and all(url is None or url.startswith("https://") for url in urls)


def upload(client: TestClient, headers: dict[str, str], kind: str, name: str, content: bytes) -> int:
    answer = client.post(UPLOAD_PATH, params={"kind": kind}, files={"file": (name, content)}, headers=headers)
    assert answer.status_code == 202, answer.text
    job_id: int = answer.json()["job_id"]
    return job_id


def test_an_uploaded_catalog_with_a_javascript_url_keeps_the_row_and_names_the_field(
    client: TestClient, runtime: Runtime, tenant: str, admin: dict[str, str]
) -> None:
    content = b"external_id,title,description,url\nx-1,Veilig werken,Over wachtwoorden.,javascript:alert(1)\n"
    job_id = upload(client, admin, "csv", "lms.csv", content)
    run_job(runtime, job_id)
    done = client.get(f"/v1/jobs/{job_id}", headers=admin).json()
    assert done["status"] == "succeeded" and done["report"]["created"] == 1
    [rejected] = done["report"]["rejected"]
    assert rejected["line"] == 2 and rejected["field"] == "url" and "javascript:" in rejected["reason"]
    [item] = client.get("/v1/catalog/items", headers=admin).json()["items"]
    assert item["url"] is None and item["title"] == "Veilig werken"


def zipped(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(zipfile.ZipInfo(name), text)
    return buffer.getvalue()


PAGE = "<html><head><title>ENG : Pagina</title></head><body><p>Tekst over veilig werken.</p></body></html>"
XXE = '<?xml version="1.0"?>\n<!DOCTYPE mediawiki [<!ENTITY geheim SYSTEM "file:///etc/passwd">]>\n'
XXE += "<mediawiki><page><title>Geheim</title><ns>0</ns><revision><text>&geheim;</text></revision></page></mediawiki>\n"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        (
            "space.zip",
            zipped({"ENG/index.html": PAGE, "ENG/Pagina_1.html": PAGE, "../../evil.html": PAGE}),
            "leaves the export",
        ),
        ("space.zip", zipped({"ENG/index.html": PAGE, "/etc/evil.html": PAGE}), "leaves the export"),
        ("wiki.xml", XXE.encode(), "entit"),
    ],
    ids=["zip-slip", "absolute-member", "xxe"],
)
def test_a_hostile_wiki_upload_is_refused_naming_why_and_stores_nothing(
    client: TestClient,
    runtime: Runtime,
    tenant: str,
    admin: dict[str, str],
    name: str,
    content: bytes,
    words: str,
) -> None:
    before = stored(runtime, tenant)
    job_id = upload(client, admin, "wiki", name, content)
    run_job(runtime, job_id)
    done = client.get(f"/v1/jobs/{job_id}", headers=admin).json()
    assert done["status"] == "failed" and words in done["error"], done
    assert not (runtime.settings.uploads_dir.parent / "evil.html").exists()
    # The job and the failed run are on record; nothing else changed.
    on_record = ("jobs", "ingest_runs")
    after = stored(runtime, tenant)
    assert {k: v for k, v in after.items() if k not in on_record} == {
        k: v for k, v in before.items() if k not in on_record
    }

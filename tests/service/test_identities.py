"""Which employee an LMS's actor is: canonical actor keys, the account rule and its home pages,
mappings by API and by CSV, and the mappings in an employee's data export and erasure."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from models.db import transaction
from models.repositories import get_tenant
from recommender.embedding import Encoder
from service import cli
from service.app import create_app
from service.cli import context
from service.core.runtime import Runtime
from service.people.identities import IdentityInputError, actor_keys, employee_for_actor
from tests.support.api_keys import make_key
from tests.support.settings import make_settings

MOODLE = "https://moodle.example"
ALICE = "mailto:Alice.Jansen@Example.nl"


def account(name: str, home_page: str = MOODLE) -> dict[str, object]:
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": name}}


def test_every_kind_of_actor_has_one_canonical_key() -> None:
    assert actor_keys(account("7", "https://Moodle.EXAMPLE/")) == [f"account|{MOODLE}|7"]
    mbox = actor_keys({"mbox": ALICE})
    assert mbox[0] == "mbox|mailto:alice.jansen@example.nl"
    # An address also stands for the SHA-1 sums an LMS may send instead (as given, and lower-cased).
    sums = {hashlib.sha1(form.encode()).hexdigest() for form in (ALICE, ALICE.lower())}
    assert set(mbox[1:]) == {f"mbox_sha1sum|{digest}" for digest in sums}
    assert actor_keys({"mbox_sha1sum": "A" * 40}) == ["mbox_sha1sum|" + "a" * 40]
    assert actor_keys({"openid": "https://id.example/alice"}) == ["openid|https://id.example/alice"]


@pytest.mark.parametrize(
    ("actor", "reason"),
    [
        ({"objectType": "Group", "member": []}, "actor.objectType"),
        ({"mbox": ALICE, "openid": "https://id.example/a"}, "actor: exactly one"),
        ({}, "actor: exactly one"),
        ({"mbox": "alice@example.nl"}, "actor.mbox"),
        ({"mbox_sha1sum": "xyz"}, "actor.mbox_sha1sum"),
        ({"account": {"homePage": "javascript:alert(1)", "name": "7"}}, "actor.account.homePage"),
        ({"account": {"homePage": MOODLE, "name": ""}}, "actor.account.name"),
        ({"account": {"homePage": MOODLE, "name": "x" * 201}}, "actor.account.name"),
        ("e-1", "actor"),
    ],
)
def test_an_actor_that_names_no_single_person_is_refused_with_its_field(actor: object, reason: str) -> None:
    with pytest.raises(IdentityInputError) as refused:
        actor_keys(actor)
    assert refused.value.message.startswith(reason)


def _employees(client: TestClient, headers: dict[str, str], *keys: str) -> None:
    for key in keys:
        assert client.put(f"/v1/employees/{key}", json={"language": "nl"}, headers=headers).status_code == 200


def _who(runtime: Runtime, tenant: str, actor: dict[str, object]) -> str | None:
    with transaction(runtime.sessions) as session:
        row = get_tenant(session, tenant)
        assert row is not None
        employee = employee_for_actor(session, row.id, actor)
        return employee.key if employee else None


def test_an_account_names_the_employee_by_id_until_home_pages_are_listed(
    runtime: Runtime, tenant: str, client: TestClient
) -> None:
    lms = make_key(runtime, tenant, "lms")
    _employees(client, lms, "e-1", "7")
    # No home page listed: any LMS's account name is the employee id (what /v1/events always did).
    assert _who(runtime, tenant, account("e-1", "https://lms.elsewhere.example")) == "e-1"
    assert _who(runtime, tenant, account("nobody")) is None

    listed = client.put(
        "/v1/identities/home-pages", json={"home_pages": ["https://MOODLE.example/"]}, headers=lms
    )
    assert listed.status_code == 200 and listed.json() == {"home_pages": [MOODLE]}
    assert _who(runtime, tenant, account("7")) == "7"
    assert _who(runtime, tenant, account("7", "https://lms.elsewhere.example")) is None
    assert client.get("/v1/identities/home-pages", headers=lms).json() == {"home_pages": [MOODLE]}

    # An explicit mapping wins over the account rule, and names people the rule cannot.
    mapped = client.put(
        "/v1/identities",
        json=[
            {"employee_id": "e-1", "actor": account("7")},
            {"employee_id": "e-1", "actor": {"mbox": ALICE}},
            {"employee_id": "7", "actor": account("u-9", "https://lms.elsewhere.example")},
        ],
        headers=lms,
    )
    assert mapped.status_code == 200, mapped.text
    assert mapped.json() == {"created": 3, "updated": 0, "unchanged": 0, "problems": []}
    assert _who(runtime, tenant, account("7")) == "e-1"
    assert _who(runtime, tenant, account("u-9", "https://lms.elsewhere.example/")) == "7"
    digest = hashlib.sha1(ALICE.lower().encode()).hexdigest()
    assert _who(runtime, tenant, {"mbox_sha1sum": digest.upper()}) == "e-1"

    # Mapping an actor again to another employee moves it; the same mapping again changes nothing.
    again = client.put(
        "/v1/identities",
        json=[{"employee_id": "7", "actor": account("7")}, {"employee_id": "e-1", "actor": {"mbox": ALICE}}],
        headers=lms,
    )
    assert again.json() == {"created": 0, "updated": 1, "unchanged": 1, "problems": []}
    assert _who(runtime, tenant, account("7")) == "7"

    cleared = client.put("/v1/identities/home-pages", json={"home_pages": []}, headers=lms)
    assert cleared.json() == {"home_pages": []}
    assert _who(runtime, tenant, account("e-1", "https://lms.elsewhere.example")) == "e-1"


def test_mappings_that_cannot_be_stored_are_named_and_the_rest_is_stored(
    runtime: Runtime, tenant: str, client: TestClient
) -> None:
    lms = make_key(runtime, tenant, "lms")
    _employees(client, lms, "e-1")
    answer = client.put(
        "/v1/identities",
        json=[
            {"employee_id": "e-404", "actor": account("1")},
            {"employee_id": "e-1", "actor": {"objectType": "Group"}},
            {"employee_id": "e-1", "actor": account("2")},
        ],
        headers=lms,
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "problems": [
            {"where": "[0]", "reason": "employee_id: no employee 'e-404' in this company"},
            {"where": "[1]", "reason": "actor.objectType: 'Group'; only an Agent names one employee"},
        ],
    }
    listed = client.get("/v1/identities", params={"employee_id": "e-1"}, headers=lms).json()
    assert listed == {
        "identities": [{"employee_id": "e-1", "actor_key": f"account|{MOODLE}|2"}],
        "next_cursor": None,
    }
    assert client.get("/v1/identities", params={"employee_id": "e-404"}, headers=lms).status_code == 404


def test_only_lms_and_admin_keys_map_identities_and_requests_are_bounded(
    runtime: Runtime, tenant: str, client: TestClient
) -> None:
    for role in ("ld", "employee"):
        headers = make_key(runtime, tenant, role, employee="e-1" if role == "employee" else None)
        assert client.put("/v1/identities", json=[], headers=headers).status_code == 403
        assert client.get("/v1/identities/home-pages", headers=headers).status_code == 403
    admin = make_key(runtime, tenant, "admin")
    assert client.put("/v1/identities", json=[], headers=admin).status_code == 422
    too_many = [{"employee_id": "e-1", "actor": account(str(i))} for i in range(1001)]
    assert client.put("/v1/identities", json=too_many, headers=admin).status_code == 422
    deep = {"employee_id": "e-1", "actor": {"account": {"homePage": MOODLE, "name": {"a": {"b": {"c": {}}}}}}}
    assert client.put("/v1/identities", json=[deep], headers=admin).status_code == 422
    bad_page = client.put(
        "/v1/identities/home-pages", json={"home_pages": ["ftp://moodle.example"]}, headers=admin
    )
    assert bad_page.status_code == 422 and "home_pages[0]" in bad_page.json()["detail"]


def test_an_employees_identities_are_in_their_export_and_go_with_their_erasure(
    runtime: Runtime, tenant: str, client: TestClient
) -> None:
    admin = make_key(runtime, tenant, "admin")
    _employees(client, admin, "e-1")
    client.put("/v1/identities", json=[{"employee_id": "e-1", "actor": {"mbox": ALICE}}], headers=admin)
    exported = client.get("/v1/employees/e-1/export", headers=admin)
    assert exported.status_code == 200, exported.text
    keys = {row["actor_key"] for row in exported.json()["tables"]["actor_identities"]}
    assert "mbox|mailto:alice.jansen@example.nl" in keys and len(keys) == 3  # the address and its two sums
    assert client.delete("/v1/employees/e-1", headers=admin).status_code == 204
    assert _who(runtime, tenant, {"mbox": ALICE}) is None


@pytest.mark.backends("sqlite")
def test_the_cli_imports_a_csv_of_identities_and_names_each_bad_row(
    tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "home")
    runtime = Runtime(settings, encoder=encoder)
    runtime.migrate()
    monkeypatch.setattr(context, "open_runtime", lambda: Runtime(settings, encoder=encoder))
    with TestClient(create_app(runtime=runtime)) as client:
        _employees(client, make_key(runtime, "acme", "lms"), "e-1", "e-2")
    people = tmp_path / "people.csv"
    people.write_text(
        "employee_id;account_home_page;account_name;mbox\n"
        f"e-1;{MOODLE};7;\n"
        "e-2;;;alice@example.nl\n"
        "e-3;;;bob@example.nl\n"
        f";{MOODLE};8;\n"
        f"e-2;ftp://x;9;\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    done = runner.invoke(
        cli.app, ["identities", "import", str(people), "--tenant", "acme"], catch_exceptions=False
    )
    assert done.exit_code == 0, done.output
    assert "created 2, updated 0, unchanged 0" in done.output
    assert "people.csv line 4: employee_id: no employee 'e-3'" in done.output
    assert "people.csv line 5: employee_id: empty" in done.output
    assert "people.csv line 6: actor.account.homePage: 'ftp://x' is not an http(s) URL" in done.output
    assert _who(runtime, "acme", account("7")) == "e-1"
    assert _who(runtime, "acme", {"mbox": "mailto:alice@example.nl"}) == "e-2"

    wrong = tmp_path / "wrong.csv"
    wrong.write_text("employee;email\ne-1;a@example.nl\n", encoding="utf-8")
    refused = runner.invoke(cli.app, ["identities", "import", str(wrong), "--tenant", "acme"])
    assert refused.exit_code != 0 and "unknown columns" in refused.output

    shown = runner.invoke(
        cli.app, ["identities", "home-pages", "https://Moodle.example/", "--tenant", "acme"]
    )
    assert shown.exit_code == 0 and shown.output.strip() == MOODLE
    runtime.close()

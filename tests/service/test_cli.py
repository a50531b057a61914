"""The `leerpad` command as an LMS operator or scheduler calls it."""

from __future__ import annotations

import inspect
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from recommender.embedding import Encoder
from service import cli
from service.cli import context
from service.core.runtime import Runtime
from service.core.settings import Settings
from tests.support.catalogs import ROWS, catalog_rows, write_csv
from tests.support.demo import DemoLoad
from tests.support.encoders import CountingEncoder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_cli(tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch):
    """Invoke the CLI on a fresh LEERPAD_HOME (SQLite, no tenant yet), sharing the session's encoder."""
    monkeypatch.setenv("LEERPAD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEERPAD_DATABASE_URL", raising=False)

    def runtime() -> Runtime:
        active = Runtime(Settings(), encoder=encoder)
        active.migrate()
        return active

    monkeypatch.setattr(context, "open_runtime", runtime)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli.app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def run_cli(fresh_cli):
    """The CLI on a fresh LEERPAD_HOME where the tenants `demo` (the default) and `acme` exist."""
    for slug in ("demo", "acme"):
        created = fresh_cli("tenants", "create", slug)
        assert created.exit_code == 0, created.output
    return fresh_cli


def ingest_runs(runtime: Runtime) -> list[dict[str, Any]]:
    """The report of every import the database recorded, oldest first."""
    from sqlalchemy import select

    from models.tables import IngestRun

    with runtime.sessions() as session:
        return [dict(r.report) for r in session.scalars(select(IngestRun).order_by(IngestRun.id))]


def row_counts() -> dict[str, int]:
    """How many rows every table of the CLI's database holds."""
    from sqlalchemy import func, select

    from models.tables import Base

    runtime = context.open_runtime()
    try:
        with runtime.sessions() as session:
            return {
                name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in Base.metadata.tables.items()
            }
    finally:
        runtime.close()


def test_ingest_json_report_has_the_contract_keys(run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)
    result = run_cli("ingest", "csv", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert {k: report[k] for k in ("created", "updated", "unchanged", "retired")} == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    assert report["embedded"] >= 3 and report["rejected"] == []
    again = json.loads(run_cli("ingest", "csv", str(path), "--json").stdout.strip().splitlines()[-1])
    assert (again["unchanged"], again["embedded"]) == (3, 0)


def test_ingest_human_report_names_rejected_lines(run_cli, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][2] = ""
    result = run_cli("ingest", "csv", str(write_csv(tmp_path / "c.csv", rows)), "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert "created 2" in result.stdout and "rejected 1" in result.stdout
    assert re.search(r"line 2 \[description\]", result.stdout)


def test_unusable_file_exits_non_zero_and_says_why(run_cli, tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", [["1", "x"]], header=["id", "naam"])
    result = run_cli("ingest", "csv", str(bad))
    assert result.exit_code == 1
    assert "external_id" in result.output
    as_json = run_cli("ingest", "csv", str(bad), "--json")
    assert as_json.exit_code == 1 and "error" in json.loads(as_json.stdout.strip().splitlines()[-1])
    assert run_cli("ingest", "moodle", str(bad)).exit_code == 2
    assert run_cli("ingest", "csv", str(tmp_path / "missing.csv")).exit_code == 2


def test_dry_run_reports_without_storing(run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ROWS)
    dry = json.loads(
        run_cli("ingest", "csv", str(path), "--dry-run", "--json").stdout.strip().splitlines()[-1]
    )
    assert dry["created"] == 3 and dry["embedded"] == 0 and dry["dry_run"] is True
    real = json.loads(run_cli("ingest", "csv", str(path), "--json").stdout.strip().splitlines()[-1])
    assert real["created"] == 3


def test_ingest_refuses_to_retire_another_files_items_unless_allowed(run_cli, tmp_path: Path) -> None:
    """A second catalog of the same kind without --source would retire the first one's items: exit 2
    naming the source, the count and the items, nothing written; --dry-run says so; --allow-retire
    does it and lists what was retired."""
    first = write_csv(tmp_path / "first.csv", catalog_rows("first", 8))
    assert run_cli("ingest", "csv", str(first)).exit_code == 0
    before = row_counts()
    second = str(write_csv(tmp_path / "second.csv", catalog_rows("second", 2)))

    refused = run_cli("ingest", "csv", second)
    assert refused.exit_code == 2
    assert "source 'csv': this import would retire 8 of its 8 active items" in refused.stderr
    assert "would retire first-0: Cursus first 0" in refused.stdout
    after = row_counts()
    assert {t: n for t, n in after.items() if t != "ingest_runs"} == {
        t: n for t, n in before.items() if t != "ingest_runs"
    }
    as_json = json.loads(run_cli("ingest", "csv", second, "--json").stdout.strip().splitlines()[-1])
    assert as_json["retired"] == 8 and as_json["retired_items"][0]["external_id"] == "first-0"
    assert "would retire 8 of its 8" in as_json["error"]

    dry = run_cli("ingest", "csv", second, "--dry-run")
    assert dry.exit_code == 0 and "a real import would be refused" in dry.stdout
    assert "would retire first-7: Cursus first 7" in dry.stdout

    separate = json.loads(
        run_cli("ingest", "csv", second, "--source", "lms-2", "--json").stdout.strip().splitlines()[-1]
    )
    assert (separate["created"], separate["retired"]) == (2, 0)
    allowed = run_cli("ingest", "csv", second, "--allow-retire")
    assert allowed.exit_code == 0 and "retired 8" in allowed.stdout
    assert "  retired first-3: Cursus first 3" in allowed.stdout


def test_boolean_options_are_plain_flags_in_help() -> None:
    """`--dry-run` once showed as `--dry-run <bool>`, as if it took a value: no option of any
    command shows a value for a flag, and the flags are listed bare."""
    import typer.main

    def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, (*path, name))
            else:
                yield (*path, name)

    runner, bare = CliRunner(), set()
    for path in commands(typer.main.get_group(cli.app)):
        help_text = runner.invoke(cli.app, [*path, "--help"]).stdout
        assert "<bool>" not in help_text, help_text
        bare |= set(re.findall(r"^ +(--[a-z-]+) {2,}\S", help_text, re.M))
    assert {"--dry-run", "--json", "--allow-retire", "--queue", "--once"} <= bare, bare


def test_keys_create_prints_the_key_alone_on_the_last_line(run_cli) -> None:
    result = run_cli("keys", "create", "--tenant", "acme", "--role", "employee", "--employee", "e-7")
    assert result.exit_code == 0, result.output
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"lp_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}", last)
    assert run_cli("keys", "create", "--role", "employee").exit_code == 2
    assert run_cli("keys", "create", "--role", "boss").exit_code == 2


def test_taxonomy_import_default_twice_changes_nothing(run_cli, tmp_path: Path) -> None:
    first = json.loads(run_cli("taxonomy", "import", "default", "--json").stdout.strip().splitlines()[-1])
    assert first["skills_created"] >= 100
    second = json.loads(run_cli("taxonomy", "import", "default", "--json").stdout.strip().splitlines()[-1])
    assert (second["skills_created"], second["skills_updated"], second["embedded"]) == (0, 0, 0)
    assert run_cli("taxonomy", "import", "esco", str(tmp_path / "nowhere")).exit_code == 2
    assert run_cli("taxonomy", "import", "onet").exit_code == 2


def test_roles_import_names_the_bad_line(run_cli, tmp_path: Path) -> None:
    run_cli("taxonomy", "import", "default")
    bad = tmp_path / "roles.csv"
    bad.write_text("role_id,name,skill,level\nlead,Team lead,coaching,3\nlead,Team lead,delegation,six\n")
    result = run_cli("roles", "import", str(bad))
    assert result.exit_code == 1 and "line 3" in result.output and "six" in result.output
    good = tmp_path / "good.csv"
    good.write_text(
        "role_id,name,skill,level,importance\nlead,Team lead,coaching,3,essential\nlead,Team lead,delegeren,2,optional\n"
    )
    ok = run_cli("roles", "import", str(good))
    assert ok.exit_code == 0 and "role lead: 2 skills" in ok.stdout


@pytest.mark.slow
def test_demo_loads_and_a_second_load_changes_nothing(
    fresh_cli, demo_load: DemoLoad, tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes a second `make run` serve within seconds: the second load encodes nothing, tags
    nothing and publishes no index snapshot. The first `leerpad demo`, on a fresh LEERPAD_HOME as
    `fresh_cli` makes, is the suite's shared one (conftest `demo_load`); this test goes on from a
    copy of the home it left."""
    run_cli = fresh_cli  # `leerpad demo` creates its tenant
    assert demo_load.exit_code == 0, demo_load.output
    shutil.copytree(demo_load.home, tmp_path / "home")  # fresh_cli's LEERPAD_HOME
    first = demo_load.output
    assert run_cli("tenants", "list").stdout.split()[0] == "demo"
    assert "36 employees, 198 new assessments" in first
    assert re.search(r"learning +\d{3,} events, 0 rejected", first), first
    assert re.search(r"paths +18 employees have a path", first)
    runtime = context.open_runtime()
    version, runs = runtime.store("demo").current_version(), len(ingest_runs(runtime))
    runtime.close()
    counting = CountingEncoder(encoder)

    def counted() -> Runtime:
        active = Runtime(Settings(), encoder=counting)  # type: ignore[arg-type]
        active.migrate()
        return active

    monkeypatch.setattr(context, "open_runtime", counted)
    second = run_cli("demo").stdout
    assert counting.texts == 0
    runtime = context.open_runtime()
    assert runtime.store("demo").current_version() == version
    again = ingest_runs(runtime)[runs:]
    runtime.close()
    assert len(again) == 5 and all(
        (r["created"], r["updated"], r["retired"], r["embedded"], r["items_tagged"], r["index_version"])
        == (0, 0, 0, 0, 0, None)
        for r in again
    ), again
    assert "0 new assessments" in second
    assert "events already stored" in second and "L&D figures    0 new" in second
    report = json.loads(run_cli("report", "gaps", "--format", "json").stdout)
    assert report["employees"] == 36 and report["suppressed"] is False
    cells = {(c["team"], c["skill_id"]): c for c in report["heatmap"]["cells"]}
    assert any(not c["suppressed"] and c["team"] == "platform" for c in cells.values())
    assert all(c["suppressed"] for (team, _), c in cells.items() if team in {"people", "design", "product"})
    csv_text = run_cli("report", "gaps", "--format", "csv", "--team", "platform").stdout
    assert csv_text.splitlines()[0].startswith("team,skill_id,skill,employees")
    unknown = run_cli("report", "gaps", "--team", "nobody")
    assert unknown.exit_code == 2 and "known teams" in unknown.output
    assert all(
        " created    0 " in line
        for line in second.splitlines()
        if line.split()[0] in {"coursera", "wiki", "lms"}
    )


def test_worker_once_runs_a_queued_import(run_cli, tmp_path: Path, encoder: Encoder) -> None:
    from models import repositories as repo
    from models.db import transaction
    from service.jobs.queue import enqueue_ingest

    runtime = context.open_runtime()
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, "acme").id
    job = enqueue_ingest(
        runtime,
        tenant_id,
        kind="csv",
        path=write_csv(tmp_path / "c.csv", ROWS),
        source=None,
        filename="c.csv",
        dry_run=False,
    )
    result = run_cli("worker", "--once")
    assert result.exit_code == 0 and "after 1 jobs" in result.stdout
    with runtime.sessions() as session:
        done = repo.get_job(session, tenant_id, job.id)
        assert done is not None and done.status == "succeeded" and done.result["created"] == 3  # type: ignore[index]
    runtime.close()


def test_retrain_prints_the_verdict_and_models_roll_back(run_cli) -> None:
    from tests.support.feedback_factories import add_catalog, add_feedback, likes_format

    runtime = context.open_runtime()
    add_feedback(runtime, "acme", add_catalog(runtime, "acme"), likes_format)
    add_feedback(runtime, "tiny", add_catalog(runtime, "tiny"), likes_format, employees=2, weeks=2)
    runtime.close()
    result = run_cli("retrain", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^acme: ndcg@10 current 0\.\d{4} \(rules-1\) vs candidate 0\.\d{4} \(logreg-", result.stdout, re.M
    )
    assert re.search(r"window 2025-01-06 08:00 \.\. cut 2025-\d\d-\d\d \d\d:\d\d \.\. 2025-", result.stdout)
    promoted = re.search(r"^  PROMOTED: better: .*$", result.stdout, re.M)
    assert promoted, result.stdout
    version = re.search(r"paths are ranked by (logreg-[0-9a-f]{10})", result.stdout)
    assert version, result.stdout
    everyone = run_cli("retrain", "--min-improvement", "0.05")  # every tenant with events: acme and tiny
    assert everyone.exit_code == 0, everyone.output
    assert re.search(r"^  NOT PROMOTED: too little training data", everyone.stdout, re.M)
    assert re.search(r"^acme: .*^  NOT PROMOTED: not better by more than 0.05", everyone.stdout, re.M | re.S)
    listed = run_cli("models", "list", "--tenant", "acme")
    assert f"paths are ranked by {version[1]}" in listed.stdout and " active " in listed.stdout
    back = run_cli("models", "rollback", "--tenant", "acme")
    assert back.exit_code == 0 and f"acme: {version[1]} -> rules-1" in back.stdout
    nothing = run_cli("models", "rollback", "--tenant", "acme")
    assert nothing.exit_code == 1 and "nothing to roll back" in nothing.output
    forward = run_cli("models", "rollback", "--tenant", "acme", "--to", version[1])
    assert forward.exit_code == 0 and f"rules-1 -> {version[1]}" in forward.stdout


def test_taxonomy_retag_runs_now_or_queues_a_job(run_cli, tmp_path: Path) -> None:
    assert run_cli("ingest", "csv", str(write_csv(tmp_path / "c.csv", ROWS))).exit_code == 0
    now = run_cli("taxonomy", "retag")
    assert now.exit_code == 0 and "catalog items re-tagged: 3" in now.stdout
    queued = run_cli("taxonomy", "retag", "--queue")
    assert queued.exit_code == 0 and re.search(r"retag job \d+ queued for demo", queued.stdout)
    ran = run_cli("worker", "--once")
    assert ran.exit_code == 0 and "after 1 jobs" in ran.stdout


def test_tenants_create_and_list(fresh_cli) -> None:
    assert "no tenants yet" in fresh_cli("tenants", "list").stdout
    created = fresh_cli("tenants", "create", "acme", "--name", "Acme BV")
    assert created.exit_code == 0 and "tenant acme created" in created.stdout
    again = fresh_cli("tenants", "create", "acme")
    assert again.exit_code == 0 and "exists already" in again.stdout
    assert fresh_cli("tenants", "create", "beta").exit_code == 0
    listed = fresh_cli("tenants", "list").stdout.splitlines()
    assert [line.split()[:3] for line in listed] == [["acme", "Acme", "BV"], ["beta", "beta", "created"]]
    for bad in ("", "-x", "a b", "x" * 65, "acme/eu"):
        refused = fresh_cli("tenants", "create", bad)
        assert refused.exit_code == 2, bad
    assert len(fresh_cli("tenants", "list").stdout.splitlines()) == 2


def test_every_command_refuses_an_unknown_tenant_and_writes_nothing(fresh_cli, tmp_path: Path) -> None:
    catalog = write_csv(tmp_path / "c.csv", ROWS)
    roles = tmp_path / "roles.csv"
    roles.write_text("role_id,name,skill,level,importance\nlead,Team lead,coaching,3,essential\n")
    figures = ROOT / "demo" / "people" / "ld_figures.csv"
    identities = tmp_path / "identities.csv"
    identities.write_text("employee_id,mbox\ne-1,a@example.nl\n")
    commands = [
        ["ingest", "csv", str(catalog)],
        ["ingest", "csv", str(catalog), "--dry-run", "--json"],
        ["keys", "create", "--role", "admin"],
        ["keys", "list"],
        ["taxonomy", "import", "default"],
        ["taxonomy", "retag"],
        ["taxonomy", "retag", "--queue"],
        ["roles", "import", str(roles)],
        ["index", "rebuild"],
        ["index", "check"],
        ["index", "reembed"],
        ["models", "list"],
        ["models", "rollback"],
        ["report", "gaps"],
        ["report", "figures", str(figures)],
        ["audit", "purge"],
        ["identities", "import", str(identities)],
        ["identities", "home-pages"],
        ["lti", "platforms"],
        [
            "lti",
            "register",
            "--issuer",
            "https://moodle.example",
            "--client-id",
            "c1",
            "--auth-url",
            "https://moodle.example/mod/lti/auth.php",
            "--token-url",
            "https://moodle.example/mod/lti/token.php",
            "--jwks-url",
            "https://moodle.example/mod/lti/certs.php",
            "--deployment-id",
            "1",
        ],
    ]
    # Every command that takes --tenant is in the list (retrain is checked below).
    with_tenant = {
        f"{group.name} {command.name}" if group else str(command.name)
        for group in [*cli.app.registered_groups, None]
        for command in (group.typer_instance if group else cli.app).registered_commands
        if command.callback and "tenant" in inspect.signature(command.callback).parameters
    }
    covered = {name for name in with_tenant if any(" ".join(c).startswith(name) for c in commands)}
    assert with_tenant - covered == {"retrain", "demo"}

    # A fresh database: even the default tenant `demo` does not exist yet.
    default = fresh_cli("index", "check")
    assert default.exit_code == 2
    assert "unknown tenant 'demo'; known tenants: none yet" in default.stderr
    assert "leerpad demo" in default.stderr and "leerpad tenants create demo" in default.stderr

    assert fresh_cli("tenants", "create", "demo").exit_code == 0
    assert fresh_cli("tenants", "create", "acme").exit_code == 0
    before = row_counts()
    expected = "unknown tenant 'x'; known tenants: demo, acme (create one with: leerpad tenants create x)"
    for command in [*commands, ["retrain"]]:
        refused = fresh_cli(*command, "--tenant", "x")
        assert refused.exit_code == 2, (command, refused.output)
        assert expected in refused.stderr, (command, refused.stderr)
    assert row_counts() == before
    assert fresh_cli("ingest", "csv", str(catalog), "--tenant", "acme").exit_code == 0
    assert row_counts()["catalog_items"] == before["catalog_items"] + 3


def test_keys_list_shows_no_secret_and_a_revoked_key_fails_at_once(
    run_cli, tmp_path: Path, encoder: Encoder
) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from tests.support.settings import make_settings

    created = run_cli("keys", "create", "--tenant", "acme", "--role", "ld", "--label", "reports")
    assert created.exit_code == 0, created.output
    secret = created.stdout.splitlines()[-1]
    prefix = secret.split("_")[1]
    other = run_cli("keys", "create", "--tenant", "acme", "--role", "employee", "--employee", "e-7")
    listed = run_cli("keys", "list", "--tenant", "acme")
    assert listed.exit_code == 0, listed.output
    rows = listed.stdout.splitlines()
    assert rows[0].split() == [
        "id",
        "prefix",
        "role",
        "employee",
        "created",
        "last",
        "used",
        "revoked",
        "label",
    ]
    mine = next(row for row in rows if prefix in row).split()
    assert mine[1:4] == [prefix, "ld", "-"] and mine[-3:] == ["never", "-", "reports"]
    assert any(" employee " in row and " e-7 " in row for row in rows)
    for key in (secret, other.stdout.splitlines()[-1]):
        assert key.split("_", 2)[2] not in listed.stdout
    assert "has no API keys" in run_cli("keys", "list").stdout  # the tenant demo has none

    runtime = Runtime(make_settings(tmp_path / "home"), encoder=encoder)
    try:
        with TestClient(create_app(runtime=runtime)) as client:
            headers = {"Authorization": f"Bearer {secret}"}
            assert client.get("/v1/catalog/items", headers=headers).status_code == 200
            used = next(
                row
                for row in run_cli("keys", "list", "--tenant", "acme").stdout.splitlines()
                if prefix in row
            )
            assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d +- +reports$", used)  # last used, not revoked
            revoked = run_cli("keys", "revoke", prefix)
            assert revoked.exit_code == 0 and f"revoked ld key {prefix}" in revoked.stdout
            refused = client.get("/v1/catalog/items", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("application/problem+json")
    finally:
        runtime.close()
    again = run_cli("keys", "revoke", prefix)
    assert again.exit_code == 0 and "revoked already" in again.stdout
    after = next(
        row for row in run_cli("keys", "list", "--tenant", "acme").stdout.splitlines() if prefix in row
    )
    assert re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d +){3}reports$", after)  # created, last used, revoked
    by_id = next(row for row in rows if " e-7 " in row).split()[0]
    assert run_cli("keys", "revoke", by_id).exit_code == 0
    missing = run_cli("keys", "revoke", "nope")
    assert missing.exit_code == 2 and "no API key 'nope'" in missing.stderr


def test_lti_register_stores_a_platform_and_refuses_plain_http(run_cli) -> None:
    args = [
        "lti", "register", "--tenant", "acme",
        "--issuer", "https://moodle.example",
        "--client-id", "abc123",
        "--auth-url", "https://moodle.example/mod/lti/auth.php",
        "--token-url", "https://moodle.example/mod/lti/token.php",
        "--jwks-url", "https://moodle.example/mod/lti/certs.php",
        "--deployment-id", "1", "--deployment-id", "2",
    ]  # fmt: skip
    stored = run_cli(*args)
    assert stored.exit_code == 0, stored.output
    assert "https://moodle.example" in stored.output and "1, 2" in stored.output
    listed = [
        json.loads(line) for line in run_cli("lti", "platforms", "--tenant", "acme").output.splitlines()
    ]
    assert [(p["client_id"], p["deployment_ids"]) for p in listed] == [("abc123", ["1", "2"])]
    other_tenant = run_cli(*[a if a != "acme" else "demo" for a in args])
    assert other_tenant.exit_code == 1 and "another company" in other_tenant.output
    plain = run_cli(
        *[a.replace("https://moodle.example/mod/lti/certs", "http://moodle.example/certs") for a in args]
    )
    assert (
        plain.exit_code == 1
        and "key_set_url: 'http://moodle.example/certs.php' must be an https URL" in plain.output
    )

"""The production packaging, as far as it can be checked without a container engine: the image's
entrypoint run with `sh` against this venv, the Dockerfile and compose.yaml read as text and YAML,
and the wheel that `pip install .` builds in the image."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from alembic.script import ScriptDirectory
from sqlalchemy import text

from models.db import make_engine
from models.migrate import alembic_config
from service.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DOCKERIGNORE = ROOT / ".dockerignore"
PRODUCTION_DOC = ROOT / "docs" / "production.md"
VENV_BIN = Path(sys.executable).parent
# read by the entrypoint, or by a CLI option (`leerpad worker --metrics-port/--metrics-host`)
ENTRYPOINT_OWN = {
    "LEERPAD_WORKERS",
    "LEERPAD_DB_WAIT_SECONDS",
    "LEERPAD_WORKER_METRICS_PORT",
    "LEERPAD_WORKER_METRICS_HOST",
}
PASSWORD = "s3cret-Pa55word"


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def entrypoint_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a container: no LEERPAD_* from outside, this venv's commands first."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("LEERPAD_")}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        HOME=str(home),
        LEERPAD_HOME=str(home / "leerpad"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    env.update(extra)
    return env


def run_entrypoint(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections: bound (so no one else takes it), never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


# ---- the entrypoint, run with sh ----


def test_migrate_on_sqlite_creates_a_migrated_database(tmp_path: Path) -> None:
    done = run_entrypoint(entrypoint_env(tmp_path), "migrate")
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr  # SQLite: nothing to wait for
    database = tmp_path / "leerpad" / "leerpad.db"
    assert database.is_file()
    with sqlite3.connect(database) as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert version == head_revision()
    assert {"tenants", "jobs", "catalog_items"} <= tables


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_migrate_on_postgresql_waits_for_it_and_migrates(tmp_path: Path, database_url: str) -> None:
    done = run_entrypoint(entrypoint_env(tmp_path, LEERPAD_DATABASE_URL=database_url), "migrate")
    assert done.returncode == 0, done.stderr
    assert "answers" in done.stderr
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            jobs = conn.execute(text("SELECT count(*) FROM jobs")).scalar_one()
    finally:
        engine.dispose()
    assert version == head_revision()
    assert jobs == 0
    assert not (tmp_path / "leerpad" / "leerpad.db").exists()  # it used PostgreSQL, not SQLite


def test_database_wait_gives_up_naming_the_host_but_not_the_password(
    tmp_path: Path, closed_port: int
) -> None:
    url = f"postgresql+psycopg://leerpad:{PASSWORD}@127.0.0.1:{closed_port}/leerpad"
    env = entrypoint_env(tmp_path, LEERPAD_DATABASE_URL=url, LEERPAD_DB_WAIT_SECONDS="2")
    started = time.monotonic()
    done = run_entrypoint(env, "migrate", timeout=60)
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"gave up waiting for PostgreSQL at 127.0.0.1:{closed_port}" in done.stderr
    assert "LEERPAD_DB_WAIT_SECONDS=2" in done.stderr
    assert PASSWORD not in output
    assert "database at the latest schema" not in output  # it never got to migrating
    assert took < 30


def test_database_wait_refuses_a_wait_that_is_not_a_number(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://leerpad:{PASSWORD}@127.0.0.1:5432/leerpad"
    env = entrypoint_env(tmp_path, LEERPAD_DATABASE_URL=url, LEERPAD_DB_WAIT_SECONDS="soon")
    done = run_entrypoint(env, "migrate", timeout=30)
    assert done.returncode == 2
    assert "LEERPAD_DB_WAIT_SECONDS must be a whole number" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_any_other_command_is_execd_as_given(tmp_path: Path) -> None:
    env = entrypoint_env(tmp_path)
    process = subprocess.Popen(
        ["sh", str(ENTRYPOINT), "python", "-c", "import os, sys; print(os.getpid(), sys.argv[1:])", "a b"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    # exec'd: the command runs in the entrypoint's own process, with its arguments intact
    assert out.split(None, 1) == [str(process.pid), "['a b']\n"]


@pytest.mark.slow
def test_a_leerpad_command_runs_through_the_entrypoint(tmp_path: Path) -> None:
    env = entrypoint_env(tmp_path)
    refused = run_entrypoint(env, "leerpad", "keys", "create", "--tenant", "acme", "--role", "admin")
    assert refused.returncode == 2 and "leerpad tenants create acme" in refused.stderr
    created = run_entrypoint(env, "leerpad", "tenants", "create", "acme")
    assert created.returncode == 0, created.stderr
    done = run_entrypoint(env, "leerpad", "keys", "create", "--tenant", "acme", "--role", "admin")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"lp_\S+", done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_worker_migrates_then_runs_the_worker(tmp_path: Path) -> None:
    done = run_entrypoint(entrypoint_env(tmp_path), "worker", "--once")
    assert done.returncode == 0, done.stderr
    assert "worker stopped after 0 jobs" in done.stdout
    assert (tmp_path / "leerpad" / "leerpad.db").is_file()


@pytest.mark.slow
def test_api_is_the_default_serves_healthz_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    # Two workers, as in the image: the supervisor must not replace them while they load the model.
    env = entrypoint_env(tmp_path, PORT=str(port), LEERPAD_WORKERS="2")
    log = tmp_path / "api.log"
    with open(log, "w") as out:
        process = subprocess.Popen(["sh", str(ENTRYPOINT)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        # Two workers loading the model at once on a 2-core machine take 30 to 60 s.
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)  # polls a real other process or server, up to the deadline
        assert answer is not None and answer.status_code == 200, log.read_text()
        assert answer.json() == {"status": "ok"}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    output = log.read_text()
    assert code == 0, output
    assert "Stopping parent process" in output
    assert output.count("Application shutdown complete") == 2
    assert " died" not in output  # no worker was killed as hung while it started
    assert "Traceback" not in output


# ---- the Dockerfile ----


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def env_pairs(stage: list[tuple[str, str]]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for keyword, rest in stage:
        if keyword == "ENV":
            pairs.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    return pairs


def copy_sources(stage: list[tuple[str, str]]) -> set[str]:
    """What the stage's COPY lines take from the build context (not from another stage)."""
    sources: set[str] = set()
    for keyword, rest in stage:
        if keyword != "COPY" or "--from=" in rest:
            continue
        words = [word for word in rest.split() if not word.startswith("--")]
        sources.update(words[:-1])
    return sources


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_dockerfile_builds_in_one_stage_and_runs_slim_in_another() -> None:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", DOCKERFILE.read_text(), flags=re.M))
    builder, runtime = stages()[0], stages()[-1]
    assert len(stages()) >= 2
    assert builder[0][1].split()[-2:] == ["AS", "builder"]
    base = runtime[0][1].split()[0]
    assert re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base) == "python:3.11-slim"
    copies = [rest for keyword, rest in runtime if keyword == "COPY"]
    assert any("--from=builder" in rest and "/opt/venv" in rest for rest in copies)
    # the runtime stage copies the venv (the app is installed in it) and the entrypoint, nothing else
    assert all("--from=builder" in rest or "docker/entrypoint.sh" in rest for rest in copies)


def test_dockerfile_installs_torch_cpu_first_then_the_project_without_dev_extras() -> None:
    runs = [rest for keyword, rest in stages()[0] if keyword == "RUN"]
    torch_pin = next(dep for dep in pyproject()["project"]["dependencies"] if dep.startswith("torch"))
    torch_line = next(
        i for i, rest in enumerate(runs) if f"pip install {torch_pin}" in rest and "/whl/cpu" in rest
    )
    project_line = next(i for i, rest in enumerate(runs) if re.search(r"pip install \.(\s|$)", rest))
    assert torch_line < project_line
    assert "--index-url https://download.pytorch.org/whl/cpu" in runs[torch_line]
    assert "[dev]" not in " ".join(runs)


def test_dockerfile_copies_every_package_the_wheel_holds() -> None:
    """A top-level package added to pyproject but not copied into the build would be missing."""
    tops = {name.split(".")[0] for name in pyproject()["tool"]["setuptools"]["packages"]}
    assert tops | {"pyproject.toml", "README.md"} <= copy_sources(stages()[0])


def test_dockerfile_runtime_is_offline_non_root_and_healthchecked() -> None:
    runtime = stages()[-1]
    env = env_pairs(runtime)
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["LEERPAD_HOME"] == "/var/lib/leerpad"
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user == "10001"
    assert any(keyword == "VOLUME" and "/var/lib/leerpad" in rest for keyword, rest in runtime)
    assert ("EXPOSE", "8000 9100") in runtime  # the API, a worker container's metrics
    healthcheck = next(rest for keyword, rest in runtime if keyword == "HEALTHCHECK")
    probe = json.loads(healthcheck.split(" CMD ", 1)[1])  # the exec form is a JSON list
    assert probe[0] == "python" and "/healthz" in probe[-1]
    compile(probe[-1], "healthcheck", "exec")
    entrypoint = json.loads(next(rest for keyword, rest in runtime if keyword == "ENTRYPOINT"))
    copied_to = next(rest.split()[-1] for keyword, rest in runtime if "docker/entrypoint.sh" in rest)
    assert entrypoint == [copied_to]
    assert ("CMD", '["api"]') in runtime


def test_dockerignore_keeps_out_the_venv_and_data_but_not_what_the_build_copies() -> None:
    ignored = {
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and line[0] != "#"
    }
    assert {".venv", "var", ".git", "tests"} <= ignored
    copied = set().union(*(copy_sources(stage) for stage in stages()))
    assert "docker/entrypoint.sh" in copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert source not in ignored and source.split("/")[0] not in ignored, source


# ---- compose.yaml ----


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def test_compose_runs_db_migrate_api_and_worker_on_one_image() -> None:
    services = compose()["services"]
    assert {"db", "migrate", "api", "worker"} <= services.keys()
    assert services["db"]["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["db"]["volumes"])
    for name, command in (("migrate", "migrate"), ("api", "api"), ("worker", "worker")):
        assert services[name]["command"] == [command]
        assert services[name]["image"] == services["api"]["image"]
    assert services["migrate"]["restart"] == "no"
    assert "ports" not in services["api"]  # reached through the load balancer only
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["healthcheck"] == {"disable": True}  # it serves no API
    assert services["worker"]["environment"]["LEERPAD_WORKER_METRICS_PORT"] == "9100"


def test_compose_api_workers_share_one_rate_limit_in_redis() -> None:
    services = compose()["services"]
    assert services["redis"]["image"].startswith("redis:")
    url = services["api"]["environment"]["LEERPAD_REDIS_URL"]
    assert Settings(redis_url=url).redis_url == "redis://redis:6379/0"
    assert "redis" in services["api"]["depends_on"]


def test_compose_api_and_worker_share_one_leerpad_home_and_the_database() -> None:
    document = compose()
    services = document["services"]
    db = services["db"]["environment"]
    homes = set()
    for name in ("migrate", "api", "worker"):
        env = services[name]["environment"]
        home = env["LEERPAD_HOME"]
        mounts = [volume for volume in services[name]["volumes"] if volume.endswith(f":{home}")]
        assert len(mounts) == 1, name
        homes.add(mounts[0])
        url = env["LEERPAD_DATABASE_URL"]
        assert url == (
            f"postgresql+psycopg://{db['POSTGRES_USER']}:{db['POSTGRES_PASSWORD']}@db:5432/{db['POSTGRES_DB']}"
        )
    assert len(homes) == 1
    (volume,) = homes
    assert volume.split(":")[0] in document["volumes"]  # a named volume, not a folder of one host
    assert services["api"]["environment"]["LEERPAD_RUN_JOBS_IN_API"] == "false"


def test_compose_runs_two_api_replicas_behind_a_load_balancer_that_routes_by_readyz() -> None:
    services = compose()["services"]
    assert services["api"]["deploy"]["replicas"] == 2
    lb = services["lb"]
    assert lb["image"].startswith("haproxy:")
    assert lb["ports"] == ["8000:8000"]
    assert "api" in lb["depends_on"]
    (mount,) = lb["volumes"]
    source, target, mode = mount.split(":")
    assert target == "/usr/local/etc/haproxy/haproxy.cfg" and mode == "ro"
    config = (ROOT / source).read_text()
    lines = [line.split("#")[0].split() for line in config.splitlines()]
    lines = [line for line in lines if line]
    assert ["option", "httpchk", "GET", "/readyz"] in lines
    assert ["bind", ":8000"] in lines
    templates = [line for line in lines if line[0] == "server-template"]
    assert len(templates) == 1 and templates[0][3] == "api:8000" and int(templates[0][2]) >= 2
    assert ["http-request", "deny", "if", "{", "path_beg", "/metrics", "}"] in lines


def test_compose_replicas_take_snapshots_from_one_store_into_folders_of_their_own() -> None:
    document = compose()
    services = document["services"]
    stores = set()
    for name in ("api", "worker"):
        env = services[name]["environment"]
        settings = Settings(
            snapshot_store=env["LEERPAD_SNAPSHOT_STORE"],
            index_dir=env["LEERPAD_INDEX_DIR"],
            snapshot_poll_seconds=env["LEERPAD_SNAPSHOT_POLL_SECONDS"],
        )
        mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services[name]["volumes"]}
        # the store is a named volume every container mounts; the index folder is the container's own
        assert mounts[settings.snapshot_store] in document["volumes"]
        stores.add(mounts[settings.snapshot_store])
        assert not any(str(settings.index_root).startswith(target) for target in mounts)
        assert 0 < settings.snapshot_poll_seconds <= 30
    assert len(stores) == 1
    # the image makes the mount point, owned by the user the container runs as, so a new volume is too
    assert "/srv/leerpad-snapshots" in DOCKERFILE.read_text()


def test_every_leerpad_variable_used_is_a_real_setting() -> None:
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    real = {f"{prefix}{name.upper()}" for name in Settings.model_fields} | ENTRYPOINT_OWN
    for path in (DOCKERFILE, COMPOSE, ENTRYPOINT, PRODUCTION_DOC):
        used = set(re.findall(r"\bLEERPAD_[A-Z][A-Z0-9_]*", path.read_text()))
        assert used, path
        assert used <= real, f"{path.name}: not a setting: {sorted(used - real)}"


def test_entrypoint_is_posix_sh_that_stops_at_the_first_error() -> None:
    # The Dockerfile copies it with mode 0755, so its mode in the work tree does not matter.
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in ENTRYPOINT.read_text()


# ---- the wheel that `pip install .` installs in the image ----


@pytest.mark.slow
def test_the_wheel_carries_migrations_templates_static_files_taxonomy_and_demo(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    tops = {name.split(".")[0] for name in pyproject()["tool"]["setuptools"]["packages"]}
    for top in tops:
        shutil.copytree(ROOT / top, source / top, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("leerpad-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # every package of the product, so the image imports what the editable install of the tests does
    # (ingest.normalise and ingest.sources.wiki were missing once: `import service.app` failed there)
    packages = {
        init.parent.relative_to(ROOT).as_posix()
        for top in ("recommender", "models", "ingest", "service")
        for init in (ROOT / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert {f"{package}/__init__.py" for package in packages} <= names, sorted(
        package for package in packages if f"{package}/__init__.py" not in names
    )
    versions = {p.name for p in (ROOT / "models" / "migrations" / "versions").glob("0*.py")}
    assert versions and {f"models/migrations/versions/{v}" for v in versions} <= names
    assert {"models/migrations/env.py", "models/migrations/script.py.mako"} <= names
    templates = {p.name for p in (ROOT / "service" / "reports" / "dashboard" / "templates").iterdir()}
    assert {f"service/reports/dashboard/templates/{t}" for t in templates} <= names
    assert {
        f"service/reports/dashboard/static/{p.name}"
        for p in (ROOT / "service" / "reports" / "dashboard" / "static").iterdir()
    } <= names
    assert "ingest/default_taxonomy.yaml" in names
    # everything `leerpad demo` reads (service.demo.loader), found beside `service` as in the source tree
    from service.demo.loader import CATALOGS, DEMO_DIR

    needed = [DEMO_DIR / relative for _, relative, _ in CATALOGS] + [
        DEMO_DIR / "people" / name for name in ("roles.yaml", "employees.yaml", "ld_figures.csv")
    ]
    for path in needed:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            if file.suffix != ".py":
                assert f"demo/{file.relative_to(DEMO_DIR).as_posix()}" in names, file

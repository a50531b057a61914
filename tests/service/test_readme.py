"""The README as a new user reads it: its CLI table lists exactly the commands `leerpad --help`
lists, and every shell example with `curl` or `leerpad` runs, as written, against a served demo (the
way simonw/sqlite-utils tests its docs). The README once showed an xAPI statement about an employee
and a unit the demo does not have."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent  # the venv's bin, where `leerpad` is
README_BASE = "http://127.0.0.1:8000"  # where the README's requests go: what `make run` serves
SHELLS = {"sh", "bash", "shell", "console"}
# Each request prints its status on stderr, whatever the example does with the body (-o, | head).
CURL_STATUS = "curl() { command curl -w '%{stderr}HTTP %{http_code}\\n' \"$@\"; }"


@dataclass(frozen=True)
class Example:
    line: int  # where the block starts in the README
    commands: list[str]  # logical command lines, continuations joined


def readme_examples(text: str) -> list[Example]:
    """The README's sh/bash/console blocks that run `curl` or `leerpad`, as command lines. In a
    console block only lines starting with `$ ` are commands; `KEY=lp_...` (the key make run
    printed) is the reader's to fill in, so it is left out."""
    examples: list[Example] = []
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        fence = re.fullmatch(r"```(\w*)\s*", lines[n])
        if not fence:
            n += 1
            continue
        start, body = n + 1, []
        n += 1
        while n < len(lines) and not lines[n].startswith("```"):
            body.append(lines[n])
            n += 1
        n += 1
        if fence.group(1) not in SHELLS:
            continue
        if fence.group(1) == "console":
            body = [line[2:] for line in body if line.startswith("$ ")]
        commands = [c for c in _join_continuations(body) if not re.match(r"\s*KEY=lp_", c)]
        if any(re.search(r"(^|\$\()\s*(curl|leerpad)\b", c) for c in commands):
            examples.append(Example(start + 1, commands))
    return examples


def _join_continuations(lines: list[str]) -> list[str]:
    joined: list[str] = []
    current = ""
    for line in lines:
        current += line.rstrip("\\").rstrip() + " " if line.rstrip().endswith("\\") else line
        if not line.rstrip().endswith("\\"):
            if current.strip() and not current.lstrip().startswith("#"):
                joined.append(current)
            current = ""
    return joined


def readme_cli_commands(text: str, known: set[str]) -> set[str]:
    """The commands the README's CLI table names: `leerpad index rebuild` / `leerpad index check`
    give `index rebuild` and `index check`. Of a usage's leading lower-case words, the longest run
    that is a `known` command is its name (`taxonomy import esco PATH` is `taxonomy import` with
    an argument); one that starts no known command counts whole, so that it shows as unknown."""
    section = text.split("## The CLI", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in re.findall(r"^\| (.+?) \|", section, re.M):
        for usage in re.findall(r"`leerpad ([^`]+)`", row):
            words = []
            for word in usage.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            prefixes = [" ".join(words[:n]) for n in range(len(words), 0, -1)]
            names.add(next((p for p in prefixes if p in known), " ".join(words)))
    return names


def help_commands(path: tuple[str, ...] = ()) -> set[str]:
    """Every command `leerpad --help` lists, groups opened up (`leerpad keys --help`, ...)."""
    output = CliRunner().invoke(cli.app, [*path, "--help"], catch_exceptions=False).stdout
    if "Commands:" not in output:
        return {" ".join(path)}
    listed = re.findall(r"^  ([a-z][a-z-]*)  ", output.split("Commands:", 1)[1], re.M)
    assert listed, output
    return set().union(*(help_commands((*path, name)) for name in listed))


def test_readme_cli_table_lists_exactly_the_commands_of_leerpad_help() -> None:
    actual = help_commands()
    documented = readme_cli_commands(README.read_text(encoding="utf-8"), actual)
    assert {"ingest", "keys create", "index rebuild", "demo"} <= actual
    assert documented - actual == set(), "the README's CLI table names commands leerpad does not have"
    assert actual - documented == set(), "commands missing from the README's CLI table"


def test_readme_examples_are_found() -> None:
    """The extraction itself: every request block of the README is picked up, the placeholder key
    line is not."""
    examples = readme_examples(README.read_text(encoding="utf-8"))
    commands = [c for e in examples for c in e.commands]
    assert len(examples) >= 5
    assert any("/v1/events" in c for c in commands) and any(c.startswith("leerpad ") for c in commands)
    assert not any(c.startswith("KEY=lp_") for c in commands)
    assert not any("make run" in c for c in commands)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"leerpad serve exited: {log.read_text()[-2000:]}"
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)  # polls a real other process or server, up to the deadline
    raise AssertionError(f"{base} not ready after {seconds} s: {log.read_text()[-2000:]}")


@pytest.fixture
def served_demo(demo_home: Path, tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """What `make run` leaves: the demo loaded in a home of its own, an admin key, `leerpad serve`
    on a free port. Yields the environment the examples run in and their working folder."""
    env = {
        # The demo's home, and the suite's encoder (LEERPAD_EMBEDDING_MODEL) that embedded it.
        **{k: v for k, v in os.environ.items() if k not in ("LEERPAD_HOME", "LEERPAD_DATABASE_URL")},
        "LEERPAD_HOME": str(demo_home),
        "LEERPAD_LOG_FORMAT": "text",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    created = subprocess.run(
        ["leerpad", "keys", "create", "--tenant", "demo", "--role", "admin", "--label", "readme"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    port, log = free_port(), tmp_path / "serve.log"
    server = subprocess.Popen(
        ["leerpad", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    work = tmp_path / "cwd"
    work.mkdir()
    (work / "demo").symlink_to(ROOT / "demo")  # the examples upload demo/... from the checkout
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, server, log)
        yield {**env, "KEY": created.stdout.strip().splitlines()[-1], "BASE": base}, work
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples use curl")
def test_every_readme_example_runs_against_the_served_demo(served_demo: tuple[dict[str, str], Path]) -> None:
    env, work = served_demo
    examples = readme_examples(README.read_text(encoding="utf-8"))
    for example in examples:  # in README order, on one demo, as a reader would run them
        script = "\n".join(["set -e", CURL_STATUS, *example.commands]).replace(README_BASE, env["BASE"])
        done = subprocess.run(
            ["bash", "-c", script], env=env, cwd=work, capture_output=True, text=True, timeout=300
        )
        where = f"README.md line {example.line}:\n{script}\nstdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
        assert done.returncode == 0, where
        statuses = re.findall(r"^HTTP (\d{3})$", done.stderr, re.M)
        requests = sum(len(re.findall(r"(^|\$\(|\|\s*|;\s*)\s*curl\b", c)) for c in example.commands)
        assert len(statuses) == requests, where
        assert all(status.startswith("2") for status in statuses), where
        # A 200 can still say no: an import or a batch of statements that rejected something.
        assert not re.search(r'"rejected":\s*\[\s*\{', done.stdout), where

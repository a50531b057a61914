"""The demo as loaded once per test run by `leerpad demo` (conftest `demo_load`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoLoad:
    home: Path  # a LEERPAD_HOME (SQLite) with the demo loaded; copy it (`demo_home`), never change it
    exit_code: int  # of the first `leerpad demo`
    output: str  # what the first `leerpad demo` printed

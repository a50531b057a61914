"""The secrets kept in LEERPAD_HOME: made once, private to the owner, and the same for every reader."""

from __future__ import annotations

import stat
from pathlib import Path

from service.core.home_secret import home_secret


def test_a_secret_is_made_once_private_and_then_read(tmp_path: Path) -> None:
    made: list[str] = []

    def make() -> str:
        made.append(f"secret-{len(made)}")
        return made[-1]

    path = tmp_path / "home" / "some.key"
    assert home_secret(path, make) == "secret-0"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert home_secret(path, make) == "secret-0" and made == ["secret-0"]


def test_a_secret_already_there_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "some.key"
    path.write_text("theirs\n", encoding="ascii")  # another worker or replica made it
    assert home_secret(path, lambda: "ours") == "theirs"

"""A secret kept in a file of LEERPAD_HOME, made on first use: the audit's pseudonym key, the Fernet
key of the chat integrations' secrets, the secret behind each tenant's badge signing key.

Mode 600, and the first writer wins when several processes start at once (the file is created with
O_EXCL), so every worker of a host, and every replica that shares LEERPAD_HOME, reads the same one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def home_secret(path: Path, make: Callable[[], str]) -> str:
    """The secret in `path`, written there from `make()` when the file does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="ascii") as handle:
                handle.write(make())
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text(encoding="ascii").strip()

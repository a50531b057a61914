"""Whether a process on this host still runs: for files and jobs a dead process left behind."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True while `pid` exists (also when it belongs to another user, who may not be signalled)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

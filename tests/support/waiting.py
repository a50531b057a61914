"""Waiting for something another thread or process does, by its condition rather than for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0, every: float = 0.01) -> None:
    """Return as soon as `condition()` holds; fail naming `what` if it still does not after `timeout`
    seconds (a deadline for a stuck thread, never a pause the test relies on)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(every)

"""Pausing Python's cyclic garbage collector while a report builds its figures.

A company-wide report makes a few hundred thousand small objects (rows, evidence, gaps, cells), none
of them in a reference cycle: reference counting frees them all. Each of those allocations still
counts towards the collector's thresholds, and its passes walk every live object, which at 5,000
employees was about 40% of the gap report's time (bench/reports.py). While any caller is inside
`collector_paused()` the collector does not run; when the last one leaves it is switched back on (if
it was on), so two requests in two threads never switch it on under each other.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()

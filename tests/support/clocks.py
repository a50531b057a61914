"""A clock the test moves, for code that takes one (`clock: Callable[[], float]`)."""

from __future__ import annotations


class ManualClock:
    """Monotonic seconds that stand still until the test calls `advance`."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

"""Settings for a test runtime."""

from __future__ import annotations

from pathlib import Path

from service.core.settings import Settings


def make_settings(home: Path, database_url: str = "", **overrides: object) -> Settings:
    """Test settings under `home`; jobs are run by the test, not by the API."""
    # A rate limit no test reaches unless it asks for a lower one (tests/service/test_limits.py).
    overrides.setdefault("rate_limit_per_minute", 1_000_000)
    overrides.setdefault("rate_limit_burst", 100_000)
    return Settings(home=home, database_url=database_url, run_jobs_in_api=False, **overrides)

"""The path-quality report (bench/path_quality.py) on the bundled demo: the bars it prints hold."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from recommender.embedding import Encoder
from service.core.runtime import Runtime
from tests.support.settings import make_settings

BENCH = Path(__file__).resolve().parents[2] / "bench" / "path_quality.py"


def _bench_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("path_quality", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["path_quality"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_demo_paths_are_micro_within_budget_evidenced_and_in_the_learners_language(
    demo_home: Path, encoder: Encoder
) -> None:
    bench = _bench_module()
    runtime = Runtime(make_settings(demo_home), encoder=encoder)
    runtime.migrate()
    try:
        paths, employees, gaps = bench.demo_paths(runtime)
        quality = bench.measure(paths, employees, gaps)
    finally:
        runtime.close()
    print(bench.report(quality))
    assert quality.paths == 36 and quality.steps > 36
    assert quality.budget_violations == 0
    assert quality.evidence_share == 1.0
    assert quality.language_match == 1.0
    assert quality.english_for_dutch_with_dutch == 0
    assert quality.empty_with_content == 0
    assert quality.largest_gap_worked_on == 1.0  # 35 of 36 before diminishing worth per gap
    # modules left out teach another skill (a testing course's "Security in code review"); 118 items
    # were entered past a module before courses were taken in the author's order, 22 after, 27 once
    # the demo company had Learning Days
    assert quality.courses_entered_past_a_module <= 30
    # people of one role get different paths (their evidence, history and preferences differ)
    assert min(quality.distinct_per_role.values()) >= 0.75
    assert quality.micro_share + quality.under_five_share >= 0.6
    for path in paths:  # no step longer than the learner's week; one course is never the whole path
        assert all(step["minutes"] <= path["minutes_per_week"] for step in path["steps"])
        assert len({step["item_id"] for step in path["steps"]}) > 1 or not path["steps"]

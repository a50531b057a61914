"""Paths and search read cosines on the configured encoder's scale, and never search a snapshot
built with another model (both e5 and MiniLM are 384-dimensional: no error, only nonsense)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.embedding import MULTILINGUAL_E5, Calibration, Encoder
from recommender.tagging import AGREEING_SHARE
from service.core.runtime import Runtime
from service.http.health import readiness
from service.paths.retrieval import _dense_relevance, _Match, _strength
from tests.support.catalogs import ROWS, write_csv
from tests.support.encoders import CountingEncoder
from tests.support.ingest import run_ingest
from tests.support.settings import make_settings

E5_SCALE = Calibration(0.83, 0.91)
MINILM_SCALE = Calibration(0.40, 0.70)


def test_dense_relevance_on_another_scale() -> None:
    assert _dense_relevance(0.83, E5_SCALE) == 0.0
    assert _dense_relevance(0.91, E5_SCALE) == 1.0
    assert _dense_relevance(0.40, MINILM_SCALE) == 0.0 and _dense_relevance(0.70, MINILM_SCALE) == 1.0
    assert MINILM_SCALE.at(AGREEING_SHARE) == 0.5


def test_agreement_and_detail_follow_the_scale() -> None:
    # a label found in the text (not the title), and a cosine of 0.86: on e5's scale the meaning agrees
    # (0.86 >= 0.857), so the label counts in full; on MiniLM's the same 0.86 agrees as well
    match = _Match(cosine=0.86, coverage=1.0, bm25_share=1.0, label="sql")
    assert _strength(match, False, False, ["sql"], E5_SCALE) == (1.0, "label", "sql")
    weak = _Match(cosine=0.85, coverage=1.0, bm25_share=1.0, label="sql")  # below 0.857: a mention
    relevance, evidence, detail = _strength(weak, False, False, ["sql"], E5_SCALE)
    assert (relevance, evidence, detail) == (0.8, "label", "sql")
    dense_only = _Match(cosine=0.9)
    relevance, evidence, detail = _strength(dense_only, False, False, ["sql"], E5_SCALE)
    assert relevance == pytest.approx(0.875) and evidence == "similarity"
    assert detail == "0.90"  # the raw cosine, not the mapped relevance


def test_a_snapshot_of_another_model_is_reported_and_not_searched(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "c.csv", ROWS), CountingEncoder(encoder))
    assert runtime.check_index(tenant, repair=False) is None
    settings = runtime.settings
    switched = Runtime(
        make_settings(settings.home, settings.database_url, embedding_model=MULTILINGUAL_E5)
    )  # the model switched, `leerpad index reembed` not run yet; the encoder is never loaded here
    try:
        problem = switched.check_index(tenant, repair=False)
        assert problem == (
            f"index built with {encoder.name}, the service encodes with {MULTILINGUAL_E5}: "
            "run leerpad index reembed"
        )
        assert switched.check_index(tenant, repair=True) == problem  # repair cannot mend it
        assert switched.dense_snapshot(tenant) is None
        assert switched.snapshot(tenant) is not None  # still there for BM25
        assert switched.calibration() == Calibration(0.83, 0.91)
        assert not readiness(switched).ready
        assert not switched.encoder_loaded
    finally:
        switched.close()
    assert runtime.dense_snapshot(tenant) is not None

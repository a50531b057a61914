"""Retraining on both databases: promotion only when better, the registry, rollback, the model paths
use, the retrain job, and the routes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from models import events_repository as events_repo
from models import path_repository as paths_repo
from models import people_repository as people
from models import ranking_models_repository as ranking_repo
from models import repositories as repo
from models.db import transaction
from models.tables import MODEL_ACTIVE, MODEL_REJECTED, MODEL_RETIRED, RankingModel
from recommender.ranking import FEATURES
from recommender.ranking_model import LearnedModel
from service.core.runtime import Runtime
from service.jobs import retraining
from service.jobs.retraining import RULES, RollbackError, list_models, retrain, rollback, training_data
from tests.support.api_keys import make_key
from tests.support.feedback_factories import (
    LATER,
    START,
    add_catalog,
    add_feedback,
    dislikes_format,
    employee_key,
    event_row,
    likes_format,
)
from tests.support.jobs import run_job

FORMAT_LOVER = LearnedModel(
    feature_names=FEATURES,
    mean=(0.5,) * len(FEATURES),
    scale=(0.3,) * len(FEATURES),
    coef=tuple(3.0 if name == "format" else 0.0 for name in FEATURES),
    intercept=-0.5,
)


def _tenant_id(runtime: Runtime, tenant: str) -> int:
    with transaction(runtime.sessions) as session:
        return repo.get_or_create_tenant(session, tenant).id


def _fields(model: LearnedModel) -> dict[str, object]:
    return {name: getattr(model, name) for name in ("feature_names", "mean", "scale", "coef", "intercept")}


def _row(tenant_id: int, model: LearnedModel) -> RankingModel:
    return RankingModel(
        tenant_id=tenant_id,
        version=model.version,
        kind="logreg",
        status="candidate",
        params=model.to_bytes().decode(),
        metric="ndcg@10",
        metrics={},
        reason="set up by the test",
        n_train=0,
        n_test=0,
    )


def _activate(runtime: Runtime, tenant: str, model: LearnedModel) -> None:
    """Register `model` as the tenant's active one, as an earlier promotion would have."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        ranking_repo.promote(
            session, tenant_id, ranking_repo.add_model(session, _row(tenant_id, model)), START
        )


def _path(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        "/v1/employees/e-1/path", json={"minutes_per_week": 60, "weeks": 2}, headers=headers
    )
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def _assert_impressions_stored(runtime: Runtime, tenant: str, path: dict[str, Any]) -> None:
    """The stored path holds one impression per step (what retraining learns from), the answer none."""
    assert "impressions" not in path
    with runtime.sessions() as session:
        stored = paths_repo.get_path(session, _tenant_id(runtime, tenant), str(path["path_id"]))
        assert stored is not None and stored.impressions is not None
        assert "impressions" not in stored.response and stored.model_version == path["model_version"]
    steps = path["steps"]
    assert steps and [i["unit_id"] for i in stored.impressions] == [s["unit_id"] for s in steps]
    for impression, step in zip(stored.impressions, steps, strict=True):
        assert impression["item_id"] == step["item_id"]
        assert impression["skill_id"] in {a["skill_id"] for a in step["addresses"]}
        assert set(impression["features"]) == set(FEATURES)
        assert 0.0 <= impression["score"] <= 1.0 and 0.0 <= step["score"] <= 1.0


def test_a_better_model_is_promoted_ranks_the_next_path_and_can_be_rolled_back(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms = make_key(runtime, company, "lms")
    before = _path(client, lms)
    assert before["model_version"] == RULES
    _assert_impressions_stored(runtime, company, before)

    add_feedback(runtime, company, add_catalog(runtime, company), likes_format)
    outcome = retrain(runtime, company, now=LATER)
    assert outcome.promoted, outcome.reason
    entry = outcome.entry
    assert entry is not None and entry.status == MODEL_ACTIVE and outcome.active_version == entry.version
    assert entry.version.startswith("logreg-") and entry.compared_with == RULES
    assert entry.candidate is not None and entry.current is not None and entry.candidate > entry.current
    assert entry.gain is not None and entry.gain_lower_bound is not None and entry.gain_lower_bound > 0
    assert set(entry.metrics) >= {"current", "candidate", "gain", "gain_lower_bound"}
    assert entry.data_start == START and entry.data_cut is not None and entry.data_end is not None
    assert entry.data_start < entry.data_cut <= entry.data_end
    assert entry.n_train > entry.n_test > 0 and entry.promoted_at is not None
    assert "better" in entry.reason

    path = _path(client, lms)
    assert path["model_version"] == entry.version
    _assert_impressions_stored(runtime, company, path)  # stored with the learned version, scores in 0..1

    listed = client.get("/v1/models", headers=make_key(runtime, company, "ld")).json()
    assert listed["active_version"] == entry.version
    assert listed["models"][0]["window"]["cut"] is not None

    done = rollback(runtime, company)
    assert (done.before, done.after) == (entry.version, RULES)
    assert _path(client, lms)["model_version"] == RULES
    assert [m.status for m in list_models(runtime, company)] == [MODEL_RETIRED]

    again = rollback(runtime, company, to_version=entry.version)
    assert again.after == entry.version and _path(client, lms)["model_version"] == entry.version
    rollback(runtime, company, to_version=RULES)
    with pytest.raises(RollbackError, match="nothing to roll back"):
        rollback(runtime, company)
    with pytest.raises(RollbackError, match="no model"):
        rollback(runtime, company, to_version="logreg-0000000000")


def test_a_worse_model_is_rejected_and_the_active_one_stays(runtime: Runtime, tenant: str) -> None:
    """Tastes flipped back: the first eight weeks say 'not that format', the last two (the hold-out)
    say what the active model knows. A candidate trained on the old weeks ranks the hold-out worse."""
    _activate(runtime, tenant, FORMAT_LOVER)
    units = add_catalog(runtime, tenant)
    add_feedback(
        runtime,
        tenant,
        units,
        lambda week, features: dislikes_format(week, features) if week < 8 else likes_format(week, features),
    )
    outcome = retrain(runtime, tenant, now=LATER)
    assert not outcome.promoted
    assert outcome.reason.startswith("not better"), outcome.reason
    assert outcome.entry is not None and outcome.entry.status == MODEL_REJECTED
    assert outcome.entry.compared_with == FORMAT_LOVER.version
    assert outcome.entry.candidate is not None and outcome.entry.current is not None
    assert outcome.entry.candidate < outcome.entry.current
    assert outcome.active_version == FORMAT_LOVER.version
    statuses = {m.version: m.status for m in list_models(runtime, tenant)}
    assert statuses == {FORMAT_LOVER.version: MODEL_ACTIVE, outcome.entry.version: MODEL_REJECTED}
    with pytest.raises(RollbackError, match="never active"):
        rollback(runtime, tenant, to_version=outcome.entry.version)


def test_too_little_data_promotes_nothing_and_says_why(runtime: Runtime, tenant: str) -> None:
    cold = retrain(runtime, tenant, now=LATER)
    assert not cold.promoted and cold.reason.startswith("no interactions yet") and cold.entry is None
    add_feedback(runtime, tenant, add_catalog(runtime, tenant), likes_format, employees=3, weeks=2)
    outcome = retrain(runtime, tenant, now=LATER)
    assert not outcome.promoted and outcome.entry is None and outcome.active_version == RULES
    assert outcome.reason.startswith("too little training data"), outcome.reason
    assert list_models(runtime, tenant) == []


def test_an_event_about_a_whole_item_labels_every_unit_of_it_that_was_shown(
    runtime: Runtime, tenant: str
) -> None:
    first, second, unshown = add_catalog(runtime, tenant, items=1, units_per_item=3)
    add_feedback(
        runtime, tenant, [first, second], lambda week, features: 0.0, employees=1, weeks=1, per_path=2
    )
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        employee_id = people.employee_ids_by_key(session, tenant_id, [employee_key(0)])[employee_key(0)]
        at = START + timedelta(days=1)
        events_repo.insert_new_events(
            session, [event_row(tenant_id, employee_id, first, "completed", at, whole_item=True)]
        )
    with runtime.sessions() as session:
        impressions, events = training_data(session, tenant_id)
    assert sorted(i.unit_id for i in impressions) == sorted([first.unit_id, second.unit_id])
    completed = sorted(e.unit_id for e in events if e.verb == "completed")
    assert completed == sorted([first.unit_id, second.unit_id]) and unshown.unit_id not in completed


def test_the_active_model_is_parsed_once_until_it_changes(
    runtime: Runtime, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id = _tenant_id(runtime, tenant)
    with runtime.sessions() as session:
        assert runtime.ranking_model(session, tenant_id) is None
    _activate(runtime, tenant, FORMAT_LOVER)
    parsed: list[int] = []
    original = LearnedModel.from_bytes.__func__  # type: ignore[attr-defined]

    def counting(cls: type[LearnedModel], data: bytes) -> LearnedModel:
        parsed.append(1)
        return original(cls, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(LearnedModel, "from_bytes", classmethod(counting))
    for _ in range(3):
        with runtime.sessions() as session:
            model = runtime.ranking_model(session, tenant_id)
        assert model is not None and model.version == FORMAT_LOVER.version
    assert len(parsed) == 1
    rollback(runtime, tenant, to_version=RULES)
    with runtime.sessions() as session:
        assert runtime.ranking_model(session, tenant_id) is None


def test_one_active_model_per_tenant(runtime: Runtime, tenant: str) -> None:
    _activate(runtime, tenant, FORMAT_LOVER)
    other = LearnedModel(FEATURES, FORMAT_LOVER.mean, FORMAT_LOVER.scale, FORMAT_LOVER.coef, intercept=0.5)
    _activate(runtime, tenant, other)
    statuses = {m.version: m.status for m in list_models(runtime, tenant)}
    assert statuses == {FORMAT_LOVER.version: MODEL_RETIRED, other.version: MODEL_ACTIVE}
    with pytest.raises(IntegrityError), transaction(runtime.sessions) as session:
        row = _row(_tenant_id(runtime, tenant), LearnedModel(**{**_fields(other), "intercept": 1.5}))
        row.status = MODEL_ACTIVE
        ranking_repo.add_model(session, row)
    assert rollback(runtime, tenant).after == FORMAT_LOVER.version


def test_the_retrain_job_runs_in_the_worker_and_only_admins_queue_it(runtime: Runtime, tenant: str) -> None:
    from service.app import create_app

    with TestClient(create_app(runtime=runtime)) as test_client:
        for role in ("lms", "ld"):
            denied = test_client.post("/v1/models/retrain", headers=make_key(runtime, tenant, role))
            assert denied.status_code == 403
        employee = make_key(runtime, tenant, "employee", employee="e-1")
        assert test_client.post("/v1/models/retrain", headers=employee).status_code == 403
        assert test_client.get("/v1/models", headers=make_key(runtime, tenant, "lms")).status_code == 403
        admin = make_key(runtime, tenant, "admin")
        queued = test_client.post("/v1/models/retrain?min_improvement=0.01", headers=admin)
        assert queued.status_code == 202, queued.json()
        job = queued.json()
        assert (job["kind"], job["status"]) == ("retrain", "queued")
        run_job(runtime, job["job_id"])
        done = test_client.get(f"/v1/jobs/{job['job_id']}", headers=admin).json()
        assert done["status"] == "succeeded", done
        report = done["report"]
        assert report["tenant"] == tenant and report["promoted"] is False
        assert report["reason"].startswith("no interactions yet") and report["active_version"] == RULES
        assert test_client.get("/v1/models", headers=admin).json() == {"active_version": RULES, "models": []}


def test_a_promotion_made_stale_by_a_change_during_the_run_is_not_written(
    runtime: Runtime, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_feedback(runtime, tenant, add_catalog(runtime, tenant), likes_format)
    train = retraining.training.train_and_compare

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        _activate(runtime, tenant, FORMAT_LOVER)  # another run or a rollback, while this one trains
        return train(*args, **kwargs)

    monkeypatch.setattr(retraining.training, "train_and_compare", meanwhile)
    outcome = retrain(runtime, tenant, now=LATER)
    assert outcome.result.promote and not outcome.promoted
    assert outcome.reason.startswith(f"the active model changed to {FORMAT_LOVER.version} during the run")
    assert outcome.entry is not None and outcome.entry.status == MODEL_REJECTED
    assert outcome.active_version == FORMAT_LOVER.version


def test_a_damaged_active_model_leaves_paths_to_the_rules(runtime: Runtime, tenant: str) -> None:
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        row = _row(tenant_id, FORMAT_LOVER)
        row.params = "\x80\x04pickle?"
        ranking_repo.promote(session, tenant_id, ranking_repo.add_model(session, row), START)
    with runtime.sessions() as session:
        assert runtime.ranking_model(session, tenant_id) is None
    with pytest.raises(RollbackError, match="cannot be loaded"):
        rollback(runtime, tenant, to_version=FORMAT_LOVER.version)
    assert rollback(runtime, tenant).after == RULES

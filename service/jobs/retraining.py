"""Retraining the ranking model from the paths employees were given and what they did with them, and
the registry around it: a candidate replaces the active model only when offline evaluation says it
is better (recommender.training.train_and_compare), a rollback is one call, every run is on record.

A run reads in one short transaction, trains outside any (seconds of CPU, no locks held) and writes
in a second one. That one first checks that the model the candidate was compared with is still the
active one: after a rollback or another run in between the comparison is stale, so nothing is
promoted. docs/ranking-model.md explains the rule and the registry for L&D.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from models import ranking_models_repository as ranking_repo
from models import repositories as repo
from models.db import transaction
from models.ranking_models_repository import FeedbackRow, ShownPath
from models.tables import MODEL_ACTIVE, MODEL_CANDIDATE, MODEL_REJECTED, RankingModel, utcnow
from recommender import training
from recommender.errors import LeerpadError
from recommender.interactions import Impression, LearningEvent, label_interactions
from recommender.ranking_model import RULES_VERSION, LearnedModel, RankerModel, RuleModel
from recommender.training import RetrainResult
from service.core.runtime import Runtime
from service.events.feedback import about_unit

log = logging.getLogger("leerpad.retraining")

RULES = RULES_VERSION  # "rules-1": no learned model, the hand-set weights rank
MODEL_KIND = "logreg"


class RollbackError(LeerpadError):
    """A rollback that cannot be done; the message says why and what can be done instead."""


# --- the registry as callers see it ------------------------------------------------------------


def _finite(value: float | None) -> float | None:
    """JSON has no NaN (PostgreSQL refuses it): an undefined metric is stored as null."""
    return value if value is not None and math.isfinite(value) else None


def _finite_all(metrics: Mapping[str, float]) -> dict[str, float | None]:
    return {name: _finite(float(value)) for name, value in metrics.items()}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class RegistryEntry:
    """One registry row as plain data: what was trained, on which window, how it compared, its fate."""

    version: str
    kind: str
    status: str
    metric: str
    current: float | None  # the promotion metric of the model it was compared with
    candidate: float | None  # ... and of this model, on the same hold-out
    gain: float | None
    gain_lower_bound: float | None
    compared_with: str | None
    metrics: dict[str, Any]
    reason: str
    data_start: datetime | None
    data_cut: datetime | None
    data_end: datetime | None
    n_train: int
    n_test: int
    created_at: datetime
    promoted_at: datetime | None

    @classmethod
    def of(cls, row: RankingModel) -> RegistryEntry:
        metrics = dict(row.metrics or {})
        return cls(
            version=row.version,
            kind=row.kind,
            status=row.status,
            metric=row.metric,
            current=(metrics.get("current") or {}).get(row.metric),
            candidate=(metrics.get("candidate") or {}).get(row.metric),
            gain=metrics.get("gain"),
            gain_lower_bound=metrics.get("gain_lower_bound"),
            compared_with=metrics.get("current_version"),
            metrics=metrics,
            reason=row.reason,
            data_start=row.data_start,
            data_cut=row.data_cut,
            data_end=row.data_end,
            n_train=row.n_train,
            n_test=row.n_test,
            created_at=row.created_at,
            promoted_at=row.promoted_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "kind": self.kind,
            "status": self.status,
            "metric": self.metric,
            "current": self.current,
            "candidate": self.candidate,
            "gain": self.gain,
            "gain_lower_bound": self.gain_lower_bound,
            "compared_with": self.compared_with,
            "metrics": self.metrics,
            "reason": self.reason,
            "window": {
                "start": _iso(self.data_start),
                "cut": _iso(self.data_cut),
                "end": _iso(self.data_end),
            },
            "n_train": self.n_train,
            "n_test": self.n_test,
            "created_at": _iso(self.created_at),
            "promoted_at": _iso(self.promoted_at),
        }


@dataclass(frozen=True)
class RetrainOutcome:
    """A run's verdict (`result`), the registry row it wrote or found (None when there was too little
    data to train a candidate) and the version that ranks the tenant's paths afterwards."""

    tenant: str
    result: RetrainResult
    entry: RegistryEntry | None
    promoted: bool
    reason: str
    active_version: str

    def to_json(self) -> dict[str, Any]:
        """The job's report: everything the CLI prints, as JSON."""
        result, window = self.result, self.result.window
        return {
            "tenant": self.tenant,
            "promoted": self.promoted,
            "reason": self.reason,
            "metric": result.metric,
            "current_version": result.current_version,
            "candidate_version": result.candidate.version if result.candidate else None,
            "current": _finite(result.current_metrics.get(result.metric)),
            "candidate": _finite(result.candidate_metrics.get(result.metric)),
            "gain": _finite(result.gain),
            "gain_lower_bound": _finite(result.gain_lower_bound),
            "window": {"start": _iso(window.start), "cut": _iso(window.cut), "end": _iso(window.end)},
            "n_train": result.n_train,
            "n_test": result.n_test,
            "active_version": self.active_version,
        }


@dataclass(frozen=True)
class Rollback:
    before: str
    after: str


# --- what a run learns from --------------------------------------------------------------------


def _impressions(path: ShownPath) -> list[tuple[Impression, int | None]]:
    """The path's stored steps as impressions, each with its item id; malformed steps are skipped."""
    found = []
    for step in path.impressions:
        if not isinstance(step, dict) or not isinstance(step.get("features"), dict):
            continue
        unit_id, item_id = step.get("unit_id"), step.get("item_id")
        if not isinstance(unit_id, int):
            continue
        features = {
            name: float(value)
            for name, value in step["features"].items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        impression = Impression(path.employee_key, unit_id, features, path.shown_at)
        found.append((impression, item_id if isinstance(item_id, int) else None))
    return found


def _events(row: FeedbackRow, shown_units: Mapping[tuple[str, int], set[int]]) -> list[LearningEvent]:
    """An event about a unit counts for that unit; one about a whole item counts for every unit of
    the item the employee was shown. An event about a unit a re-ingest removed matches nothing."""
    if about_unit(row):
        units: set[int] = {row.unit_id} if row.unit_id is not None else set()
    else:
        units = shown_units.get((row.employee_key, row.item_id), set())
    return [
        LearningEvent(row.employee_key, unit_id, row.verb, row.occurred_at, row.score_scaled)
        for unit_id in sorted(units)
    ]


def training_data(session: Session, tenant_id: int) -> tuple[list[Impression], list[LearningEvent]]:
    """Every impression the tenant's stored paths recorded, and the learning events that label them."""
    impressions: list[Impression] = []
    shown_units: dict[tuple[str, int], set[int]] = {}
    for path in ranking_repo.shown_paths(session, tenant_id):
        for impression, item_id in _impressions(path):
            impressions.append(impression)
            if item_id is not None:
                shown_units.setdefault((impression.employee, item_id), set()).add(impression.unit_id)
    events = [
        event for row in ranking_repo.feedback_rows(session, tenant_id) for event in _events(row, shown_units)
    ]
    return impressions, events


def _load(row: RankingModel) -> LearnedModel | None:
    try:
        return LearnedModel.from_bytes(row.params.encode("utf-8"))
    except ValueError as exc:
        log.error("ranking model %s is unusable: %s", row.version, exc)
        return None


# --- retrain, rollback, list -------------------------------------------------------------------


def _store(
    session: Session, tenant_id: int, result: RetrainResult, compared_with: int | None
) -> tuple[RegistryEntry | None, bool, str]:
    """Record the candidate (active when promoted, else rejected); returns the entry, whether it was
    promoted and the reason. The same parameters trained again are one row: it is promoted again
    when it wins, and otherwise left as it was (it may be the active model itself)."""
    candidate = result.candidate
    if candidate is None:
        return None, False, result.reason
    promote, reason = result.promote, result.reason
    ref = ranking_repo.active_ref(session, tenant_id)
    if (ref.model_id if ref else None) != compared_with:
        now_active = ref.version if ref else RULES
        promote, reason = False, f"the active model changed to {now_active} during the run: {reason}"
    row = ranking_repo.get_model(session, tenant_id, candidate.version)
    if row is not None and not promote:
        return RegistryEntry.of(row), False, reason
    window = result.window
    fields: dict[str, Any] = {
        "params": candidate.to_bytes().decode("utf-8"),
        "metric": result.metric,
        "metrics": {
            "current_version": result.current_version,
            "current": _finite_all(result.current_metrics),
            "candidate": _finite_all(result.candidate_metrics),
            "gain": _finite(result.gain),
            "gain_lower_bound": _finite(result.gain_lower_bound),
        },
        "reason": reason,
        "data_start": window.start,
        "data_cut": window.cut,
        "data_end": window.end,
        "n_train": result.n_train,
        "n_test": result.n_test,
    }
    if row is None:
        status = MODEL_CANDIDATE if promote else MODEL_REJECTED
        row = ranking_repo.add_model(
            session,
            RankingModel(
                tenant_id=tenant_id, version=candidate.version, kind=MODEL_KIND, status=status, **fields
            ),
        )
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        session.flush()
    if promote:
        ranking_repo.promote(session, tenant_id, row, utcnow())
    return RegistryEntry.of(row), promote, reason


def retrain(
    runtime: Runtime, tenant: str, *, min_improvement: float = 0.0, now: datetime | None = None
) -> RetrainOutcome:
    """Train a candidate on the tenant's impressions and events, compare it with the active model (the
    rules when there is none) on the most recent feedback, and promote it only when it is better."""
    moment = now or datetime.now(UTC)
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        impressions, events = training_data(session, tenant_id)
        active = ranking_repo.get_active(session, tenant_id)
        loaded = _load(active) if active is not None else None
        current: RankerModel = loaded if loaded is not None else RuleModel()
        compared_with = active.id if active is not None else None
    interactions = label_interactions(impressions, events, now=moment)
    result = training.train_and_compare(interactions, current, min_improvement=min_improvement)
    with transaction(runtime.sessions) as session:
        entry, promoted, reason = _store(session, tenant_id, result, compared_with)
        ref = ranking_repo.active_ref(session, tenant_id)
    log.info("retrained %s: %s", tenant, reason)
    return RetrainOutcome(tenant, result, entry, promoted, reason, ref.version if ref else RULES)


def rollback(runtime: Runtime, tenant: str, to_version: str | None = None) -> Rollback:
    """Make the model active before the current one active again (or `to_version`, a model that was
    active once; "rules-1" for no learned model). The current one is retired, not deleted."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        active = ranking_repo.get_active(session, tenant_id)
        before = active.version if active else RULES
        target: RankingModel | None
        if to_version is None:
            if active is None:
                raise RollbackError(f"nothing to roll back: {RULES} (the rules) ranks {tenant}'s paths")
            target = ranking_repo.previously_active(session, tenant_id)
        elif to_version == RULES:
            target = None
        else:
            target = ranking_repo.get_model(session, tenant_id, to_version)
            if target is None:
                raise RollbackError(f"no model {to_version!r} for {tenant}; `leerpad models list` shows them")
            if target.promoted_at is None:
                raise RollbackError(
                    f"{to_version} was never active (it was {target.status}); "
                    "only a model that ranked paths before can be made active again"
                )
        if target is not None and _load(target) is None:
            raise RollbackError(f"{target.version} cannot be loaded; see the log")
        if target is None:
            ranking_repo.retire_active(session, tenant_id)
        else:
            ranking_repo.promote(session, tenant_id, target, utcnow())
    return Rollback(before, target.version if target else RULES)


def registry(session: Session, tenant_id: int) -> list[RegistryEntry]:
    """The tenant's registry, newest first."""
    return [RegistryEntry.of(row) for row in ranking_repo.list_models(session, tenant_id)]


def list_models(runtime: Runtime, tenant: str) -> list[RegistryEntry]:
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        return registry(session, row.id) if row else []


def active_version(entries: list[RegistryEntry]) -> str:
    return next((e.version for e in entries if e.status == MODEL_ACTIVE), RULES)

"""A ranking model learned from what employees did with their recommendations, and the rule that
decides whether it replaces the model in use.

Pure (numpy, scikit-learn, stdlib): the service reads impressions (which units a path showed, with the
ranking features they had) and learning events from the database, hands them over as the dataclasses
below and stores the bytes of a promoted model. docs/ranking-model.md explains the choices for L&D.

Labels (`label_interactions`). An impression is one unit shown to one employee at `shown_at`, with
the feature dict `score_candidates` gave it. Events of that employee on that unit within `window`
after `shown_at` decide its outcome:

    an explicit rating (the last one in the window) decides when there is one:
        scaled score >= RATING_POSITIVE (0.6, three stars of five) -> positive, below -> negative
    otherwise completed or passed                                  -> positive
    otherwise dismissed or failed                                  -> negative
    otherwise, once the window is over                             -> weak negative
    otherwise (window still open, nothing decisive yet)            -> left out: not known yet

Other verbs (registered, launched, progressed, answered, ...) decide nothing. A weak negative counts
as a negative with weight WEAK_NEGATIVE_WEIGHT when training (ignoring a recommendation says less
than dismissing it) and as "not relevant" when evaluating.

Model. `RuleModel` is the hand-set ranking ("rules-1"): it recomputes the weighted mean of
`recommender.ranking` from the features, which equals `ScoredCandidate.score` (up to its rounding to
six decimals), so an interaction needs no separate rule-score field. `LearnedModel` is a logistic
regression on the standardised features (scikit-learn Pipeline, class_weight="balanced"), kept as
plain numbers: scoring is numpy, and `to_bytes`/`from_bytes` write and read JSON, never pickle, so
loading a model from the database cannot run code. `rescore` puts a promoted model to work: it
re-scores the candidates `score_candidates` gave, from their features.

Evaluation. `time_split` trains on everything shown before a cut time and tests on everything
shown from it on (the cut is the (1 - holdout_share) quantile of `shown_at`; never a random split).
`evaluate` ranks each employee-and-day group of the hold-out by the model's score and reports
nDCG@10, recall@10 and MRR from `recommender.evaluation` (relevant = the positive units) and the AUC.

Promotion (`compare`, `train_and_compare`): the candidate replaces the current model only when both
are scored on the same hold-out, the hold-out is large enough, the candidate's metric is higher by
more than `min_improvement`, and the gain is not luck: the one-sided lower confidence bound of the
gain (paired bootstrap over hold-out queries, seeded) must be above zero as well.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from recommender.evaluation import (
    COL_MRR,
    COL_NDCG,
    COL_RECALL,
    DEFAULT_K,
    metric_name,
    mrr,
    ndcg_at_k,
    recall_at_k,
)
from recommender.ranking import FEATURES, WEIGHTS, ScoredCandidate, rank_order, resolve_weights

# -- labels ------------------------------------------------------------------------------------------

POSITIVE = "positive"
NEGATIVE = "negative"
WEAK_NEGATIVE = "weak_negative"
OUTCOMES: tuple[str, ...] = (POSITIVE, NEGATIVE, WEAK_NEGATIVE)
# Training weight per outcome: an ignored recommendation may simply not have been looked at yet.
OUTCOME_WEIGHTS: Mapping[str, float] = MappingProxyType({POSITIVE: 1.0, NEGATIVE: 1.0, WEAK_NEGATIVE: 0.3})
WEAK_NEGATIVE_WEIGHT = OUTCOME_WEIGHTS[WEAK_NEGATIVE]

POSITIVE_VERBS = frozenset({"completed", "passed", "mastered"})
NEGATIVE_VERBS = frozenset({"dismissed", "failed"})
RATED_VERB = "rated"
RATING_POSITIVE = 0.6  # xAPI result.score.scaled; 3 of 5 stars = 0.6
DEFAULT_WINDOW = timedelta(days=28)  # a recommendation not acted on in four weeks was passed over

# -- models and promotion ----------------------------------------------------------------------------

RULES_VERSION = "rules-1"  # the same name service/paths/planning.py gives the hand-set ranking
MODEL_FORMAT = "leerpad.ranker"
MODEL_FORMAT_VERSION = 1
MODEL_KIND = "logistic_regression"
MAX_MODEL_BYTES = 1_000_000
DEFAULT_C = 1.0  # inverse L2 strength of the logistic regression
DEFAULT_SEED = 20250301

DEFAULT_HOLDOUT_SHARE = 0.2
DEFAULT_METRIC = metric_name(COL_NDCG, DEFAULT_K)  # "ndcg@10"
COL_AUC = "auc"
MIN_TRAIN_INTERACTIONS = 50
MIN_TEST_INTERACTIONS = 20
MIN_TEST_QUERIES_WITH_POSITIVE = 5  # fewer and one lucky employee-day decides the promotion
BOOTSTRAP_ROUNDS = 1000
CONFIDENCE = 0.95


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive timestamp is read as UTC (the database stores UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _frozen_features(features: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType({str(name): float(value) for name, value in features.items()})


@dataclass(frozen=True)
class Impression:
    """One unit shown to one employee by a path, with the ranking features it had then."""

    employee: str
    unit_id: int
    features: Mapping[str, float] = field(hash=False)
    shown_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", _frozen_features(self.features))
        object.__setattr__(self, "shown_at", _utc(self.shown_at))


@dataclass(frozen=True)
class LearningEvent:
    """What an employee did with a unit: an xAPI verb (an IRI or its last segment), an optional scaled
    score (result.score.scaled, used for "rated") and when."""

    employee: str
    unit_id: int
    verb: str
    at: datetime
    score: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "verb", normalise_verb(self.verb))
        object.__setattr__(self, "at", _utc(self.at))


@dataclass(frozen=True)
class Interaction:
    """A labelled impression: the training and evaluation row."""

    employee: str
    unit_id: int
    features: Mapping[str, float] = field(hash=False)
    shown_at: datetime
    outcome: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {self.outcome!r}")
        object.__setattr__(self, "features", _frozen_features(self.features))
        object.__setattr__(self, "shown_at", _utc(self.shown_at))

    @property
    def label(self) -> int:
        """1 for a positive, 0 for a negative or weak negative."""
        return 1 if self.outcome == POSITIVE else 0

    @property
    def weight(self) -> float:
        return OUTCOME_WEIGHTS[self.outcome]


def normalise_verb(verb: str) -> str:
    """'http://adlnet.gov/expapi/verbs/completed' -> 'completed'; 'Dismissed' -> 'dismissed'."""
    text = verb.strip().rstrip("/")
    return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1].strip().lower()


def outcome_of(events: Sequence[LearningEvent]) -> str | None:
    """The outcome the events in one impression's window give, or None when none is decisive."""
    ratings = [e for e in events if e.verb == RATED_VERB and e.score is not None and math.isfinite(e.score)]
    if ratings:
        last = max(ratings, key=lambda e: e.at)
        assert last.score is not None
        return POSITIVE if last.score >= RATING_POSITIVE else NEGATIVE
    if any(e.verb in POSITIVE_VERBS for e in events):
        return POSITIVE
    if any(e.verb in NEGATIVE_VERBS for e in events):
        return NEGATIVE
    return None


def label_interactions(
    impressions: Iterable[Impression],
    events: Iterable[LearningEvent],
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
) -> list[Interaction]:
    """Label each impression by the events of its employee on its unit in [shown_at, shown_at + window).

    An event counts for every impression whose window holds it (a unit shown in two weekly paths and
    then completed was a good recommendation both times). An impression with no decisive event is a
    weak negative once its window has ended by `now` (default: the latest timestamp given) and is
    left out before that. The result is sorted by time, employee and unit.
    """
    if window <= timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    shown = list(impressions)
    by_key: dict[tuple[str, int], list[LearningEvent]] = {}
    for event in events:
        by_key.setdefault((event.employee, event.unit_id), []).append(event)
    if now is None:
        moments = [i.shown_at for i in shown] + [e.at for group in by_key.values() for e in group]
        if not moments:
            return []
        now = max(moments)
    now = _utc(now)

    labelled: list[Interaction] = []
    for impression in shown:
        end = impression.shown_at + window
        in_window = [
            e
            for e in by_key.get((impression.employee, impression.unit_id), ())
            if impression.shown_at <= e.at < end
        ]
        outcome = outcome_of(in_window)
        if outcome is None:
            if now < end:
                continue  # not known yet
            outcome = WEAK_NEGATIVE
        labelled.append(
            Interaction(
                employee=impression.employee,
                unit_id=impression.unit_id,
                features=impression.features,
                shown_at=impression.shown_at,
                outcome=outcome,
            )
        )
    labelled.sort(key=lambda i: (i.shown_at, i.employee, i.unit_id))
    return labelled


# -- features ----------------------------------------------------------------------------------------


def vectorise(features: Mapping[str, float], names: Sequence[str] = FEATURES) -> np.ndarray:
    """The features in `names` order as a float vector; a missing or non-finite value is 0.0."""
    values = np.zeros(len(names), dtype=np.float64)
    for position, name in enumerate(names):
        value = features.get(name)
        if value is not None:
            number = float(value)
            values[position] = number if math.isfinite(number) else 0.0
    return values


def feature_matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str] = FEATURES) -> np.ndarray:
    """One `vectorise` row per feature dict: shape (len(rows), len(names))."""
    if not rows:
        return np.zeros((0, len(names)), dtype=np.float64)
    return np.vstack([vectorise(row, names) for row in rows])


# -- models ------------------------------------------------------------------------------------------


@runtime_checkable
class RankerModel(Protocol):
    """Scores a feature matrix whose columns are `feature_names`; higher ranks first."""

    @property
    def version(self) -> str: ...

    @property
    def feature_names(self) -> tuple[str, ...]: ...

    def score(self, features: np.ndarray) -> np.ndarray: ...


def _check_matrix(features: np.ndarray, names: Sequence[str]) -> np.ndarray:
    matrix = np.asarray(features, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(names):
        raise ValueError(f"expected a feature matrix with {len(names)} columns, got shape {matrix.shape}")
    return matrix


def score_rows(model: RankerModel, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
    """The model's scores for feature dicts (vectorised in the model's own feature order)."""
    return model.score(feature_matrix(rows, model.feature_names))


def rescore(scored: Sequence[ScoredCandidate], model: RankerModel) -> list[ScoredCandidate]:
    """The candidates scored by `model` instead of the rules, best first (ties as the rules break them).

    Features and reasons stay (they say what the unit is); only how much that matters changes. The
    score is kept in 0..1 and rounded like the rules' score, so paths look the same to their readers.
    """
    if not scored:
        return []
    values = score_rows(model, [entry.features for entry in scored]).tolist()
    rescored = [
        replace(entry, score=round(min(1.0, max(0.0, value if math.isfinite(value) else 0.0)), 6))
        for entry, value in zip(scored, values, strict=True)
    ]
    rescored.sort(key=rank_order)
    return rescored


@dataclass(frozen=True)
class RuleModel:
    """The hand-set ranking: sum(weight * feature) / sum(weights), as `score_candidates` computes it."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(WEIGHTS), hash=False)
    version: str = RULES_VERSION

    def __post_init__(self) -> None:
        resolved = resolve_weights(self.weights)
        object.__setattr__(self, "weights", MappingProxyType(resolved))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return FEATURES

    def score(self, features: np.ndarray) -> np.ndarray:
        matrix = _check_matrix(features, FEATURES)
        weights = np.array([self.weights[name] for name in FEATURES], dtype=np.float64)
        return np.asarray(matrix @ weights / math.fsum(weights.tolist()), dtype=np.float64)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def _numbers(value: Any, what: str, length: int) -> tuple[float, ...]:
    if not isinstance(value, list | tuple) or len(value) != length:
        raise ValueError(f"{what} must be a list of {length} numbers")
    return tuple(_number(x, what) for x in value)


@dataclass(frozen=True)
class LearnedModel:
    """A logistic regression on standardised features, kept as numbers:

        score = sigmoid(sum(coef * (x - mean) / scale) + intercept)

    the probability that the employee completes (or likes) the unit. `version` defaults to
    "logreg-" and the first ten hex digits of the SHA-256 of the parameters, so the same training
    gives the same name.
    """

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    version: str = ""
    info: Mapping[str, str | int | float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        names = tuple(self.feature_names)
        if not names or any(not isinstance(n, str) for n in names) or len(set(names)) != len(names):
            raise ValueError("feature_names must be distinct strings, at least one")
        unknown = [n for n in names if n not in FEATURES]
        if unknown:
            raise ValueError(f"unknown features {unknown}; expected some of {', '.join(FEATURES)}")
        mean = _numbers(list(self.mean), "mean", len(names))
        scale = _numbers(list(self.scale), "scale", len(names))
        if any(s <= 0 for s in scale):
            raise ValueError("scale must be positive")
        coef = _numbers(list(self.coef), "coef", len(names))
        intercept = _number(self.intercept, "intercept")
        info: dict[str, str | int | float] = {}
        for key, value in dict(self.info).items():
            if (
                not isinstance(key, str)
                or isinstance(value, bool)
                or not isinstance(value, str | int | float)
            ):
                raise ValueError("info must map names to strings or numbers")
            info[key] = value
        object.__setattr__(self, "feature_names", names)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "coef", coef)
        object.__setattr__(self, "intercept", intercept)
        object.__setattr__(self, "info", MappingProxyType(info))
        if not self.version:
            digest = hashlib.sha256(json.dumps(self._parameters(), sort_keys=True).encode()).hexdigest()
            object.__setattr__(self, "version", f"logreg-{digest[:10]}")

    @classmethod
    def from_pipeline(
        cls,
        pipeline: Pipeline,
        feature_names: Sequence[str] = FEATURES,
        version: str = "",
        info: Mapping[str, str | int | float] | None = None,
    ) -> LearnedModel:
        """Read the numbers out of a fitted StandardScaler + LogisticRegression pipeline."""
        scaler, regression = pipeline[0], pipeline[-1]
        if not isinstance(scaler, StandardScaler) or not isinstance(regression, LogisticRegression):
            raise ValueError("expected a Pipeline of StandardScaler then LogisticRegression")
        if regression.coef_.shape[0] != 1:
            raise ValueError("expected a binary logistic regression")
        return cls(
            feature_names=tuple(feature_names),
            mean=tuple(float(x) for x in scaler.mean_),
            scale=tuple(float(x) for x in scaler.scale_),
            coef=tuple(float(x) for x in regression.coef_[0]),
            intercept=float(regression.intercept_[0]),
            version=version,
            info=dict(info or {}),
        )

    def decision(self, features: np.ndarray) -> np.ndarray:
        """The log-odds (the logistic regression's decision function)."""
        matrix = _check_matrix(features, self.feature_names)
        standardised = (matrix - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(standardised @ np.asarray(self.coef) + self.intercept, dtype=np.float64)

    def score(self, features: np.ndarray) -> np.ndarray:
        z = self.decision(features)
        return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=np.float64)  # sigmoid without overflow

    def _parameters(self) -> dict[str, Any]:
        return {
            "kind": MODEL_KIND,
            "features": list(self.feature_names),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
        }

    def to_bytes(self) -> bytes:
        """UTF-8 JSON: the format tag, the parameters, the version and the info. No pickle."""
        document = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            **self._parameters(),
            "version": self.version,
            "info": dict(self.info),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> LearnedModel:
        """Read what `to_bytes` wrote; anything else (pickle, other JSON, bad numbers) is a ValueError."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"expected bytes, got {type(data).__name__}")
        raw = bytes(data)
        if len(raw) > MAX_MODEL_BYTES:
            raise ValueError(f"model document larger than {MAX_MODEL_BYTES} bytes")

        def refuse_constant(name: str) -> Any:
            raise ValueError(f"non-finite number {name} in model document")

        try:
            document = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a Leerpad ranker model: {error}") from None
        if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a Leerpad ranker model (format must be {MODEL_FORMAT!r})")
        if document.get("format_version") != MODEL_FORMAT_VERSION:
            raise ValueError(f"unsupported model format version {document.get('format_version')!r}")
        if document.get("kind") != MODEL_KIND:
            raise ValueError(f"unsupported model kind {document.get('kind')!r}")
        expected = {"format", "format_version", "kind", "features", "mean", "scale", "coef", "intercept"}
        missing = expected - set(document)
        extra = set(document) - expected - {"version", "info"}
        if missing or extra:
            raise ValueError(f"model document fields: missing {sorted(missing)}, unexpected {sorted(extra)}")
        names = document["features"]
        if not isinstance(names, list):
            raise ValueError("features must be a list of names")
        version = document.get("version", "")
        info = document.get("info", {})
        if not isinstance(version, str) or not isinstance(info, dict):
            raise ValueError("version must be a string and info an object")
        return cls(
            feature_names=tuple(names),
            mean=_numbers(document["mean"], "mean", len(names)),
            scale=_numbers(document["scale"], "scale", len(names)),
            coef=_numbers(document["coef"], "coef", len(names)),
            intercept=_number(document["intercept"], "intercept"),
            version=version,
            info=info,
        )


def fit_ranker(
    interactions: Sequence[Interaction],
    seed: int = DEFAULT_SEED,
    c: float = DEFAULT_C,
    version: str = "",
    info: Mapping[str, str | int | float] | None = None,
) -> LearnedModel:
    """Fit StandardScaler + LogisticRegression(class_weight="balanced") with the outcome weights."""
    labels = np.array([i.label for i in interactions], dtype=np.int64)
    if len(set(labels.tolist())) < 2:
        raise ValueError("training needs positive and negative interactions")
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=c, class_weight="balanced", max_iter=1000, random_state=seed)),
        ]
    )
    pipeline.fit(
        feature_matrix([i.features for i in interactions]),
        labels,
        model__sample_weight=np.array([i.weight for i in interactions], dtype=np.float64),
    )
    return LearnedModel.from_pipeline(pipeline, FEATURES, version=version, info=info)


# -- split and evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DataWindow:
    """First impression, the cut (first hold-out impression) and last impression; None without data."""

    start: datetime | None
    cut: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class TimeSplit:
    train: list[Interaction]
    test: list[Interaction]
    window: DataWindow


def time_split(
    interactions: Sequence[Interaction], holdout_share: float = DEFAULT_HOLDOUT_SHARE
) -> TimeSplit:
    """Train on what was shown before the cut, test on what was shown from the cut on.

    The cut is the `shown_at` at position floor(n * (1 - holdout_share)) in time order, so roughly
    the last `holdout_share` of the impressions are held out; impressions at exactly the cut time
    all go to the test side, so no test impression is earlier than a training one.
    """
    if not 0.0 < holdout_share < 1.0:
        raise ValueError(f"holdout_share must be between 0 and 1, got {holdout_share!r}")
    ordered = sorted(interactions, key=lambda i: (i.shown_at, i.employee, i.unit_id))
    if not ordered:
        return TimeSplit([], [], DataWindow(None, None, None))
    position = min(len(ordered) - 1, math.floor(len(ordered) * (1.0 - holdout_share)))
    cut = ordered[position].shown_at
    train = [i for i in ordered if i.shown_at < cut]
    test = [i for i in ordered if i.shown_at >= cut]
    return TimeSplit(train, test, DataWindow(ordered[0].shown_at, cut, ordered[-1].shown_at))


QueryKey = tuple[str, date]


def _query_key(interaction: Interaction) -> QueryKey:
    return (interaction.employee, interaction.shown_at.date())


def _rankings(
    model: RankerModel, interactions: Sequence[Interaction]
) -> tuple[dict[QueryKey, set[int]], dict[QueryKey, list[int]], np.ndarray]:
    """Per employee-and-day: the positive units, and the units ranked by the model (ties by unit id)."""
    scores = score_rows(model, [i.features for i in interactions]) if interactions else np.zeros(0)
    relevant: dict[QueryKey, set[int]] = {}
    scored: dict[QueryKey, list[tuple[float, int]]] = {}
    for interaction, value in zip(interactions, scores.tolist(), strict=True):
        key = _query_key(interaction)
        relevant.setdefault(key, set())
        if interaction.label:
            relevant[key].add(interaction.unit_id)
        scored.setdefault(key, []).append((value, interaction.unit_id))
    ranked = {
        key: [unit for _, unit in sorted(pairs, key=lambda p: (-p[0], p[1]))] for key, pairs in scored.items()
    }
    return relevant, ranked, scores


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    if labels.size == 0 or labels.min() == labels.max():
        return math.nan
    return float(roc_auc_score(labels, scores))


def _metric_cutoff(name: str) -> int:
    """The k a metric name asks evaluate for (DEFAULT_K for 'mrr' and 'auc'); unknown names are refused."""
    if name != COL_AUC:
        _ranking_metric(name)
    return int(name.partition("@")[2] or DEFAULT_K)


def _ranking_metric(name: str) -> Callable[[Any, Any], float]:
    """'ndcg@10' -> a function of (relevant, ranked) from recommender.evaluation."""
    column, _, cutoff = name.partition("@")
    if column == COL_MRR and not cutoff:
        return mrr
    if column in (COL_NDCG, COL_RECALL) and cutoff.isdigit() and int(cutoff) >= 1:
        k = int(cutoff)
        function = ndcg_at_k if column == COL_NDCG else recall_at_k
        return lambda relevant, ranked: function(relevant, ranked, k)
    raise ValueError(f"unknown metric {name!r}; use ndcg@K, recall@K, mrr or auc")


def evaluate(model: RankerModel, interactions: Sequence[Interaction], k: int = DEFAULT_K) -> dict[str, float]:
    """Ranking quality of `model` on `interactions`, queries being employee-and-day groups.

    nDCG@k, recall@k and MRR are means over the queries with at least one positive (0.0 when there
    is none); AUC is over all interactions, positives against the rest (NaN when one class is absent).
    Counts: interactions, positives, queries, queries_with_positive.
    """
    relevant, ranked, scores = _rankings(model, interactions)
    labels = np.array([i.label for i in interactions], dtype=np.int64)
    return {
        metric_name(COL_NDCG, k): ndcg_at_k(relevant, ranked, k),
        metric_name(COL_RECALL, k): recall_at_k(relevant, ranked, k),
        metric_name(COL_MRR, None): mrr(relevant, ranked),
        COL_AUC: _auc(labels, scores),
        "interactions": float(len(interactions)),
        "positives": float(labels.sum()),
        "queries": float(len(relevant)),
        "queries_with_positive": float(sum(1 for units in relevant.values() if units)),
    }


# -- comparison and promotion ------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Two models on one hold-out. `better` is the promotion verdict; `reason` says why."""

    metric: str
    current: dict[str, float]
    candidate: dict[str, float]
    gain: float
    gain_lower_bound: float
    better: bool
    reason: str


def _lower_bound_ranking(
    metric: str,
    relevant: Mapping[QueryKey, set[int]],
    ranked_current: Mapping[QueryKey, list[int]],
    ranked_candidate: Mapping[QueryKey, list[int]],
    rng: np.random.Generator,
    rounds: int,
    confidence: float,
) -> float:
    """Lower one-sided confidence bound of the mean per-query gain (paired bootstrap over queries)."""
    function = _ranking_metric(metric)
    keys = [key for key, units in relevant.items() if units]
    gains = np.array(
        [
            function({key: relevant[key]}, {key: ranked_candidate[key]})
            - function({key: relevant[key]}, {key: ranked_current[key]})
            for key in keys
        ]
    )
    if gains.size == 0:
        return math.nan
    means = gains[rng.integers(0, gains.size, size=(rounds, gains.size))].mean(axis=1)
    return float(np.quantile(means, 1.0 - confidence))


def _lower_bound_auc(
    holdout: Sequence[Interaction],
    current_scores: np.ndarray,
    candidate_scores: np.ndarray,
    rng: np.random.Generator,
    rounds: int,
    confidence: float,
) -> float:
    """The same bound for the AUC, resampling whole employee-and-day groups."""
    groups: dict[QueryKey, list[int]] = {}
    for position, interaction in enumerate(holdout):
        groups.setdefault(_query_key(interaction), []).append(position)
    members = [np.array(rows) for rows in groups.values()]
    labels = np.array([i.label for i in holdout], dtype=np.int64)
    gains = []
    for _ in range(rounds):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(members), size=len(members))])
        auc_current = _auc(labels[rows], current_scores[rows])
        auc_candidate = _auc(labels[rows], candidate_scores[rows])
        if not (math.isnan(auc_current) or math.isnan(auc_candidate)):
            gains.append(auc_candidate - auc_current)
    return float(np.quantile(gains, 1.0 - confidence)) if gains else math.nan


def compare(
    candidate: RankerModel,
    current: RankerModel,
    holdout: Sequence[Interaction],
    metric: str = DEFAULT_METRIC,
    min_improvement: float = 0.0,
    *,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
    rounds: int = BOOTSTRAP_ROUNDS,
) -> Comparison:
    """Score both models on the same hold-out and decide whether the candidate is better.

    Better means: the hold-out has at least MIN_TEST_INTERACTIONS interactions and
    MIN_TEST_QUERIES_WITH_POSITIVE employee-days with a positive; the candidate's `metric` exceeds the
    current model's by more than `min_improvement`; and the lower `confidence` bound of that gain
    (paired bootstrap over the hold-out's queries, `rounds` resamples seeded by `seed`) is above 0.
    """
    k = _metric_cutoff(metric)  # refuses an unknown name before any work
    if not 0.5 <= confidence < 1.0:
        raise ValueError(f"confidence must be from 0.5 to 1, got {confidence!r}")
    current_metrics = evaluate(current, holdout, k)
    candidate_metrics = evaluate(candidate, holdout, k)

    def verdict(better: bool, reason: str, gain: float = math.nan, bound: float = math.nan) -> Comparison:
        return Comparison(metric, current_metrics, candidate_metrics, gain, bound, better, reason)

    if len(holdout) < MIN_TEST_INTERACTIONS:
        return verdict(
            False, f"hold-out too small: {len(holdout)} interactions, need {MIN_TEST_INTERACTIONS}"
        )
    with_positive = int(current_metrics["queries_with_positive"])
    if with_positive < MIN_TEST_QUERIES_WITH_POSITIVE:
        return verdict(
            False,
            f"hold-out has {with_positive} employee-days with a positive, need {MIN_TEST_QUERIES_WITH_POSITIVE}",
        )
    before, after = current_metrics[metric], candidate_metrics[metric]
    if math.isnan(before) or math.isnan(after):
        return verdict(False, f"{metric} is undefined on the hold-out")
    gain = after - before
    rng = np.random.default_rng(seed)
    if metric == COL_AUC:
        bound = _lower_bound_auc(
            holdout,
            score_rows(current, [i.features for i in holdout]),
            score_rows(candidate, [i.features for i in holdout]),
            rng,
            rounds,
            confidence,
        )
    else:
        relevant, ranked_current, _ = _rankings(current, holdout)
        _, ranked_candidate, _ = _rankings(candidate, holdout)
        bound = _lower_bound_ranking(
            metric, relevant, ranked_current, ranked_candidate, rng, rounds, confidence
        )
    summary = (
        f"{metric} {before:.4f} ({current.version}) -> {after:.4f} ({candidate.version}), "
        f"gain {gain:+.4f}, {confidence:.0%} lower bound {bound:+.4f}"
    )
    if not gain > min_improvement:
        return verdict(False, f"not better by more than {min_improvement:g}: {summary}", gain, bound)
    if not bound > 0.0:
        return verdict(False, f"gain not significant: {summary}", gain, bound)
    return verdict(True, f"better: {summary}", gain, bound)


@dataclass(frozen=True)
class RetrainResult:
    """What a retraining run found. `candidate` is None when there was too little data to train."""

    promote: bool
    reason: str
    metric: str
    candidate: LearnedModel | None
    current_version: str
    current_metrics: dict[str, float]
    candidate_metrics: dict[str, float]
    gain: float
    gain_lower_bound: float
    window: DataWindow
    n_train: int
    n_test: int


def train_and_compare(
    interactions: Sequence[Interaction],
    current_model: RankerModel,
    metric: str = DEFAULT_METRIC,
    min_improvement: float = 0.0,
    seed: int = DEFAULT_SEED,
    *,
    holdout_share: float = DEFAULT_HOLDOUT_SHARE,
    c: float = DEFAULT_C,
    confidence: float = CONFIDENCE,
    rounds: int = BOOTSTRAP_ROUNDS,
) -> RetrainResult:
    """Split by time, train a candidate on the earlier part, compare it with `current_model` on the
    later part (`compare`), and say whether to promote it.

    Not promoted, with the reason, when: there are no interactions (cold start: the current model,
    usually the rules, stays); the training part has fewer than MIN_TRAIN_INTERACTIONS interactions
    or lacks positives or negatives; the hold-out is too small; or `compare` finds no real gain.
    """
    k = _metric_cutoff(metric)
    split = time_split(interactions, holdout_share)

    def result(
        promote: bool,
        reason: str,
        candidate: LearnedModel | None = None,
        comparison: Comparison | None = None,
    ) -> RetrainResult:
        return RetrainResult(
            promote=promote,
            reason=reason,
            metric=metric,
            candidate=candidate,
            current_version=current_model.version,
            current_metrics=comparison.current if comparison else evaluate(current_model, split.test, k),
            candidate_metrics=comparison.candidate if comparison else {},
            gain=comparison.gain if comparison else math.nan,
            gain_lower_bound=comparison.gain_lower_bound if comparison else math.nan,
            window=split.window,
            n_train=len(split.train),
            n_test=len(split.test),
        )

    if not interactions:
        return result(False, f"no interactions yet: {current_model.version} stays")
    positives = sum(i.label for i in split.train)
    if len(split.train) < MIN_TRAIN_INTERACTIONS:
        return result(
            False, f"too little training data: {len(split.train)} interactions, need {MIN_TRAIN_INTERACTIONS}"
        )
    if positives == 0 or positives == len(split.train):
        return result(False, "training data needs positive and negative interactions")
    window = split.window
    info: dict[str, str | int | float] = {
        "trained_from": window.start.isoformat() if window.start else "",
        "trained_until": window.cut.isoformat() if window.cut else "",
        "n_train": len(split.train),
        "seed": seed,
        "c": c,
    }
    candidate = fit_ranker(split.train, seed=seed, c=c, info=info)
    comparison = compare(
        candidate,
        current_model,
        split.test,
        metric,
        min_improvement,
        seed=seed,
        confidence=confidence,
        rounds=rounds,
    )
    return result(comparison.better, comparison.reason, candidate, comparison)

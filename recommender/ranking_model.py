"""The ranking model: features in a fixed order, the hand-set rules and the learned model, scoring,
and a learned model's serialisation.

Pure (numpy, scikit-learn, stdlib). `RuleModel` is the hand-set ranking ("rules-1"): it recomputes
the weighted mean of `recommender.ranking` from the features, which equals `ScoredCandidate.score`
(up to its rounding to six decimals), so an interaction needs no separate rule-score field.
`LearnedModel` is a logistic regression on the standardised features, kept as plain numbers: scoring
is numpy, and `to_bytes`/`from_bytes` write and read JSON, never pickle, so loading a model from the
database cannot run code. `rescore` puts a promoted model to work: it re-scores the candidates
`score_candidates` gave, from their features. How a model is trained is recommender.training.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from recommender.ranking import FEATURES, WEIGHTS, ScoredCandidate, rank_order, resolve_weights

RULES_VERSION = "rules-1"  # the same name service/paths/planning.py gives the hand-set ranking
MODEL_FORMAT = "leerpad.ranker"
MODEL_FORMAT_VERSION = 1
MODEL_KIND = "logistic_regression"
MAX_MODEL_BYTES = 1_000_000

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


def score_feature_matrix(model: RankerModel, matrix: np.ndarray) -> np.ndarray:
    """The model's scores for a matrix whose columns are `FEATURES` in their order (a feature the
    model reads that is not among them counts 0, as `vectorise` does)."""
    columns = [
        matrix[:, FEATURES.index(name)] if name in FEATURES else np.zeros(matrix.shape[0])
        for name in model.feature_names
    ]
    stacked = np.column_stack(columns) if columns else np.zeros((matrix.shape[0], 0))
    return model.score(np.nan_to_num(stacked, nan=0.0, posinf=0.0, neginf=0.0))


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

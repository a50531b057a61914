"""Offline retrieval metrics, and the measurement that hybrid retrieval beats each of its parts.

Metrics are pure functions over two mappings keyed by query: `relevant` (the set of relevant
items) and `ranked` (the retrieved items, best first). Relevance is binary. Each metric is the
mean over the queries that have at least one relevant item; a query with no ranking scores 0.

    recall@k     relevant items in the top k / all relevant items
    nDCG@k       DCG / ideal DCG, DCG = sum over relevant items at rank r <= k of 1 / log2(r + 1)
    MRR          1 / rank of the first relevant item (0 when none is retrieved)

`evaluate_skill_retrieval` asks the question a skill gap asks the recommender: given a skill's
name, which items teach it? Items carry declared skills (from their source catalog); those are
held out of the indexed text, each skill label that at least `min_items` items declare becomes a
query, and the items declaring it are the relevant set. Dense (encoder + exact FAISS inner
product), lexical (BM25), fused (convex combination of the two, what the service uses) and, for
comparison, reciprocal rank fusion are scored side by side.

Two real data sets feed it (loaders at the end): the Coursera sample (English; its tags are broad
categories rarely written in the text) and the Dutch ESCO occupations (each alternative job title
is a query for its occupation's Dutch title and description, which do not contain it).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import faiss
import numpy as np

from recommender.fusion import DENSE_WEIGHT, RRF_K, absolute_fusion, convex_fusion, reciprocal_rank_fusion
from recommender.lexical import LexicalIndex

DEFAULT_K = 10
MIN_ITEMS_PER_SKILL = 3  # a skill declared by fewer items makes a noisy query
FUSION_DEPTH = 100  # how far down each retriever's ranking the fusion looks

METHOD_DENSE = "dense"
METHOD_LEXICAL = "lexical"
METHOD_FUSED = "fused"
METHOD_RRF = "rrf"
METHOD_ABSOLUTE = "absolute"  # recommender.fusion.absolute_fusion, as /v1/search ranks
METHODS = (METHOD_DENSE, METHOD_LEXICAL, METHOD_FUSED, METHOD_RRF, METHOD_ABSOLUTE)
COL_RECALL = "recall"
COL_NDCG = "ndcg"
COL_MRR = "mrr"

Q = TypeVar("Q", bound=Hashable)  # a query
Item = TypeVar("Item", bound=Hashable)  # an item


def metric_name(column: str, k: int | None) -> str:
    """'recall', 10 -> 'recall@10'; MRR has no cut-off."""
    return column if k is None else f"{column}@{k}"


# -- metrics -----------------------------------------------------------------------------------------


def _queries(relevant: Mapping[Q, AbstractSet[Item]]) -> list[Q]:
    return [query for query, items in relevant.items() if items]


def _top(ranking: Sequence[Item], k: int | None) -> list[Item]:
    """The first k distinct items (a retriever that repeats an item gets no second credit)."""
    seen: set[Item] = set()
    top: list[Item] = []
    for item in ranking:
        if item not in seen:
            seen.add(item)
            top.append(item)
            if k is not None and len(top) == k:
                break
    return top


def _hits(wanted: AbstractSet[Item], ranking: Sequence[Item], k: int) -> int:
    return sum(1 for item in _top(ranking, k) if item in wanted)


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def recall_at_k(
    relevant: Mapping[Q, AbstractSet[Item]], ranked: Mapping[Q, Sequence[Item]], k: int = DEFAULT_K
) -> float:
    """Share of each query's relevant items found in its top k, averaged over queries."""
    _check_k(k)
    return _mean(
        [
            _hits(relevant[query], ranked.get(query, ()), k) / len(relevant[query])
            for query in _queries(relevant)
        ]
    )


def ndcg_at_k(
    relevant: Mapping[Q, AbstractSet[Item]], ranked: Mapping[Q, Sequence[Item]], k: int = DEFAULT_K
) -> float:
    """Binary-relevance nDCG@k: rewards relevant items near the top, 1.0 for an ideal ordering."""
    _check_k(k)
    values = []
    for query in _queries(relevant):
        wanted = relevant[query]
        dcg = sum(
            1.0 / math.log2(rank + 1)
            for rank, item in enumerate(_top(ranked.get(query, ()), k), start=1)
            if item in wanted
        )
        ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(wanted), k) + 1))
        values.append(dcg / ideal)
    return _mean(values)


def mrr(relevant: Mapping[Q, AbstractSet[Item]], ranked: Mapping[Q, Sequence[Item]]) -> float:
    """Mean reciprocal rank of the first relevant item over the whole ranking."""
    values = []
    for query in _queries(relevant):
        wanted = relevant[query]
        values.append(
            next(
                (
                    1.0 / rank
                    for rank, item in enumerate(_top(ranked.get(query, ()), None), 1)
                    if item in wanted
                ),
                0.0,
            )
        )
    return _mean(values)


# -- skill retrieval ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalItem:
    """A catalog item as the evaluation sees it: its text, language and declared skills."""

    item_id: int | str
    title: str
    description: str
    language: str
    skills: tuple[str, ...]


def item_text(item: EvalItem) -> str:
    """What gets indexed: title and description only, never the declared skills being tested."""
    return f"{item.title}. {item.description}".strip()


def skill_queries(
    items: Sequence[EvalItem], min_items: int = MIN_ITEMS_PER_SKILL
) -> dict[str, set[int | str]]:
    """Skill label -> ids of the items declaring it, for labels at least `min_items` items declare.

    Labels are compared case-insensitively with outer spaces trimmed; the first spelling met names
    the query.
    """
    spelling: dict[str, str] = {}
    declared_by: dict[str, set[int | str]] = {}
    for item in items:
        for label in item.skills:
            key = " ".join(label.split()).casefold()
            if not key:
                continue
            spelling.setdefault(key, " ".join(label.split()))
            declared_by.setdefault(key, set()).add(item.item_id)
    return {spelling[key]: ids for key, ids in declared_by.items() if len(ids) >= min_items}


def evaluate_skill_retrieval(
    items: Sequence[EvalItem],
    encoder_fn: Callable[[Sequence[str]], np.ndarray],
    k: int = DEFAULT_K,
    *,
    min_items: int = MIN_ITEMS_PER_SKILL,
    rrf_k: int = RRF_K,
    dense_weight: float = DENSE_WEIGHT,
    depth: int = FUSION_DEPTH,
    query_fn: Callable[[Sequence[str]], np.ndarray] | None = None,
    absolute_params: tuple[float, float, float] | None = None,
) -> dict[str, dict[str, float]]:
    """Recall@k, nDCG@k and MRR per method ('dense', 'lexical', 'fused', 'rrf'), plus a 'data' entry.

    `encoder_fn` maps texts to unit vectors (rows are re-normalised, so cosine is meant either
    way); `query_fn` encodes the queries when the model tells queries from passages (e5), and
    `absolute_params` are the encoder's (floor, full, lexical weight) for the 'absolute' fusion, as
    /v1/search uses them (recommender.embedding.SEARCH_CALIBRATIONS and SEARCH_LEXICAL_WEIGHTS). Skill labels are the query texts; the lexical side stems them in Dutch and English,
    since a label's language is not known. Each retriever returns its top `depth` (at least k)
    and the fusion combines those lists, so the fused top k may draw on items either part ranked
    below k.
    """
    _check_k(k)
    ids = [item.item_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("item ids must be distinct")
    queries = skill_queries(items, min_items)
    labels = list(queries)
    depth = min(max(depth, k), len(items))
    ranked: dict[str, dict[str, list[int | str]]] = {method: {} for method in METHODS}

    if labels and items:
        texts = [item_text(item) for item in items]
        item_vectors = _unit_rows(encoder_fn(texts), len(texts), "item")
        query_vectors = _unit_rows((query_fn or encoder_fn)(labels), len(labels), "query")
        if query_vectors.shape[1] != item_vectors.shape[1]:
            raise ValueError("the encoder gave queries and items different dimensions")
        flat = faiss.IndexFlatIP(item_vectors.shape[1])
        flat.add(item_vectors)
        similarities, neighbours = flat.search(query_vectors, depth)
        lexical = LexicalIndex.build(
            (position, text, item.language)
            for position, (text, item) in enumerate(zip(texts, items, strict=True))
        )
        for label, row, scores in zip(labels, neighbours.tolist(), similarities.tolist(), strict=True):
            dense_scored = [
                (position, score) for position, score in zip(row, scores, strict=True) if position >= 0
            ]
            words_scored = lexical.search(label, depth)
            dense = [position for position, _ in dense_scored]
            words = [position for position, _ in words_scored]
            fused = convex_fusion(dense_scored, words_scored, dense_weight)
            rrf = reciprocal_rank_fusion([dense, words], k=rrf_k)
            ranked[METHOD_DENSE][label] = [ids[position] for position in dense]
            ranked[METHOD_LEXICAL][label] = [ids[position] for position in words]
            ranked[METHOD_FUSED][label] = [ids[position] for position, _ in fused]
            ranked[METHOD_RRF][label] = [ids[position] for position, _ in rrf]
            absolute = absolute_fusion(dense_scored, words_scored, *(absolute_params or ()))
            ranked[METHOD_ABSOLUTE][label] = [ids[position] for position, _ in absolute]

    report: dict[str, dict[str, float]] = {
        "data": {"items": float(len(items)), "queries": float(len(labels)), "k": float(k)}
    }
    for method in METHODS:
        runs = ranked[method]
        report[method] = {
            metric_name(COL_RECALL, k): recall_at_k(queries, runs, k),
            metric_name(COL_NDCG, k): ndcg_at_k(queries, runs, k),
            metric_name(COL_MRR, None): mrr(queries, runs),
        }
    return report


def _unit_rows(vectors: np.ndarray, rows: int, what: str) -> np.ndarray:
    matrix = np.array(vectors, dtype=np.float32, copy=True, order="C")
    if matrix.ndim != 2 or matrix.shape[0] != rows:
        raise ValueError(f"the encoder gave {what} vectors of shape {matrix.shape} for {rows} texts")
    faiss.normalize_L2(matrix)
    return matrix


def format_table(report: Mapping[str, Mapping[str, float]]) -> str:
    """The per-method metrics of `evaluate_skill_retrieval` as a fixed-width text table."""
    columns = list(report[METHOD_DENSE])
    lines = [f"{'method':<10}" + "".join(f"{column:>12}" for column in columns)]
    for method in METHODS:
        lines.append(f"{method:<10}" + "".join(f"{report[method][column]:>12.3f}" for column in columns))
    return "\n".join(lines)


# -- path coverage -----------------------------------------------------------------------------------


class GapLike(Protocol):
    """What `path_coverage` reads of a gap (recommender.gaps.Gap fits)."""

    @property
    def skill_id(self) -> int: ...

    @property
    def gap(self) -> float: ...

    @property
    def importance(self) -> float: ...


def path_coverage(gaps: Sequence[GapLike], path_skill_coverage: Mapping[int, float]) -> float:
    """Share of the importance-weighted gap a path covers, 0..1.

        coverage = sum(importance * gap * c(skill)) / sum(importance * gap)

    c(skill) is how much of that skill's gap the path closes, clipped to 0..1 (1.0 when a step
    fully addresses it, missing means 0). Why weighted: closing a large, essential gap matters more
    than a small, optional one. With no open gap there is nothing to cover, and the result is 1.0.
    """
    total = covered = 0.0
    for gap in gaps:
        weight = max(0.0, float(gap.importance)) * max(0.0, float(gap.gap))
        total += weight
        covered += weight * min(1.0, max(0.0, float(path_skill_coverage.get(gap.skill_id, 0.0))))
    return covered / total if total > 0 else 1.0


def coursera_csv_items(path: Path) -> list[EvalItem]:
    """The Coursera CSV sample (Name, Url, Description, Tags) as evaluation items; its tags are the
    declared skills, so they are the labels and stay out of the indexed text."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            EvalItem(
                item_id=row["Url"] or str(number),
                title=row["Name"],
                description=row["Description"],
                language="en",
                skills=tuple(tag.strip() for tag in row["Tags"].split(",") if tag.strip()),
            )
            for number, row in enumerate(csv.DictReader(handle))
        ]


def esco_occupation_items(path: Path, query_every: int = 8, item_every: int = 1) -> list[EvalItem]:
    """Dutch ESCO occupations (occupations_nl.csv) as evaluation items, for Dutch retrieval.

    Title = preferred label, description = the Dutch description; the 'skills' are the
    alternative labels (other job titles, mostly Dutch, some English), so each becomes a query
    whose relevant item is its occupation. Alternative labels equal to the preferred label are
    dropped (nothing to find). Every `query_every`-th remaining label and every `item_every`-th
    occupation, in file order, are kept: a deterministic sample that keeps the run short.
    """
    if query_every < 1 or item_every < 1:
        raise ValueError("query_every and item_every must be at least 1")
    items: list[EvalItem] = []
    seen_labels = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number % item_every:
                continue
            title = " ".join(row["preferredLabel"].split())
            kept: list[str] = []
            for label in row["altLabels"].split("\n"):
                label = " ".join(label.split())
                if not label or label.casefold() == title.casefold():
                    continue
                if seen_labels % query_every == 0:
                    kept.append(label)
                seen_labels += 1
            items.append(
                EvalItem(
                    item_id=row["conceptUri"],
                    title=title,
                    description=row["description"],
                    language="nl",
                    skills=tuple(kept),
                )
            )
    return items

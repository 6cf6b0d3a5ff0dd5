"""Which points a map draws, and the points table of a map.

:func:`stratified_sample` caps a large pairs table (every positive kept, negatives spread evenly
over queries and sources, the size stated), and :func:`map_points` builds the points table
(role, qid, did, source, x, y) with coordinates from a :class:`~analysis.measure.projection.Projector`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.measure.projection import Projector, as_matrix
from analysis.model import DataError


@dataclass(frozen=True)
class Sample:
    """The pair rows a map draws, and what was left out (``note`` says it in one line)."""

    pairs: pd.DataFrame
    total_points: int
    kept_points: int
    note: str

    @property
    def sampled(self) -> bool:
        return self.kept_points < self.total_points


def stratified_sample(pairs: pd.DataFrame, max_points: int, rng: np.random.Generator) -> Sample:
    """At most ``max_points`` points (one per query plus one per pair row), every query and
    every positive kept.

    Negatives fill the rest of the budget evenly over (query, source) groups: each group's
    negatives are put in random order and the groups are taken round-robin (everyone's first,
    then everyone's second, ...), so no query or selection crowds out another. When queries
    and positives alone exceed the budget they are all kept anyway and the note says so.
    Rows keep their original order.
    """
    _check_pairs(pairs)
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 1:
        raise DataError(f"max_points must be a positive integer, got {max_points!r}",
                        field="max_points")
    queries = int(pairs["qid"].nunique())
    positive = pairs["label"].to_numpy() == 1
    total = queries + len(pairs)
    budget = max(0, int(max_points) - queries - int(positive.sum()))
    negatives = np.flatnonzero(~positive)
    if budget >= len(negatives):
        return Sample(pairs, total, total, f"all {total:,} points shown")
    group = (pairs["qid"].cat.codes.to_numpy()[negatives].astype(np.int64)
             * (len(pairs["source"].cat.categories) + 1) + pairs["source"].cat.codes.to_numpy()[negatives])
    noise = rng.random(len(negatives))
    by_group = np.lexsort((noise, group))
    starts = np.r_[0, np.flatnonzero(np.diff(group[by_group])) + 1]
    position = np.empty(len(negatives), dtype=np.int64)
    position[by_group] = np.arange(len(negatives)) - np.repeat(starts, np.diff(np.r_[starts, len(negatives)]))
    chosen = negatives[np.lexsort((noise, position))[:budget]]
    keep = np.sort(np.concatenate([np.flatnonzero(positive), chosen]))
    kept = queries + len(keep)
    note = (f"{kept:,} of {total:,} points shown: all {queries:,} queries, all "
            f"{int(positive.sum()):,} positives, {budget:,} of {len(negatives):,} negatives "
            f"spread evenly over {len(starts):,} (query, source) groups")
    if kept > max_points:
        note += f" (queries and positives alone exceed max_points={max_points:,})"
    return Sample(pairs.iloc[keep].reset_index(drop=True), total, kept, note)


def map_points(pairs: pd.DataFrame, query_embeddings: np.ndarray, doc_embeddings: np.ndarray, *,
               projector: Projector | None = None, max_points: int | None = None,
               rng: np.random.Generator | None = None) -> tuple[pd.DataFrame, Sample]:
    """The points table of a map, and the sample it was drawn from.

    One row per query (role ``query``) and one per pair row (role ``positive`` or
    ``negative``), with ``qid``, ``did`` (NA for queries), ``source`` (NA for queries),
    ``rank``, ``score`` and ``x``, ``y``. Embedding rows are aligned with the ``qid`` / ``did``
    categories of ``pairs`` (= ``nset.queries`` / ``nset.docs`` rows). Each distinct query and
    document is projected once, so a document shared by several queries sits at one place.
    ``max_points`` (with ``rng``, default seed 0) applies :func:`stratified_sample` first.
    """
    _check_pairs(pairs)
    query_embeddings, doc_embeddings = as_matrix(query_embeddings), as_matrix(doc_embeddings)
    for name, matrix, column in (("query", query_embeddings, "qid"), ("document", doc_embeddings, "did")):
        if len(matrix) != len(pairs[column].cat.categories):
            raise DataError(f"{len(matrix)} {name} embeddings for "
                            f"{len(pairs[column].cat.categories)} {column} categories", field=column)
    if query_embeddings.shape[1] != doc_embeddings.shape[1]:
        raise DataError("query and document embeddings differ in dimension", field="embeddings")
    if max_points is None:
        total = pairs["qid"].nunique() + len(pairs)
        sample = Sample(pairs, total, total, f"all {total:,} points shown")
    else:
        sample = stratified_sample(pairs, max_points, rng if rng is not None else np.random.default_rng(0))
    rows = sample.pairs
    q_unique = np.unique(rows["qid"].cat.codes.to_numpy())
    d_unique, d_inverse = np.unique(rows["did"].cat.codes.to_numpy(), return_inverse=True)
    coords = (projector or Projector()).fit_transform(
        np.vstack([query_embeddings[q_unique], doc_embeddings[d_unique]]))
    query_table = pd.DataFrame({
        "role": "query", "qid": rows["qid"].cat.categories[q_unique].astype(str), "did": pd.NA,
        "source": pd.NA, "rank": pd.NA, "score": np.nan,
        "x": coords[:len(q_unique), 0], "y": coords[:len(q_unique), 1]})
    doc_xy = coords[len(q_unique):][d_inverse]
    pair_table = pd.DataFrame({
        "role": np.where(rows["label"].to_numpy() == 1, "positive", "negative"),
        "qid": rows["qid"].astype(str).to_numpy(), "did": rows["did"].astype(str).to_numpy(),
        "source": rows["source"].astype(str).to_numpy(), "rank": rows["rank"].to_numpy(),
        "score": rows["score"].to_numpy(), "x": doc_xy[:, 0], "y": doc_xy[:, 1]})
    points = pd.concat([query_table, pair_table], ignore_index=True)
    points["role"] = pd.Categorical(points["role"], categories=["query", "positive", "negative"])
    for column in ("qid", "did", "source"):
        points[column] = points[column].astype("string")
    points["rank"] = points["rank"].astype("Int32")
    points["score"] = points["score"].astype(np.float32)
    return points, sample


def _check_pairs(pairs: pd.DataFrame) -> None:
    missing = {"qid", "did", "label", "source"} - set(pairs.columns)
    if missing:
        raise DataError(f"the pairs table lacks column(s) {sorted(missing)}", field=sorted(missing)[0])
    for column in ("qid", "did", "source"):
        if not isinstance(pairs[column].dtype, pd.CategoricalDtype):
            raise DataError(f"pairs column {column!r} must be categorical (a NegativeSet's pairs)",
                            field=column)

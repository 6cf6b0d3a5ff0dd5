"""Comparison metrics for selections made on the same pool (DESIGN.md section 6).

All results are tidy pandas DataFrames, ready to plot or print:

- ``pool_columns(pool)``: per pool row the quantities a selection is judged by: ``rank`` (raw,
  positives included), ``neg_rank`` (1-based position among the query's non-positives: the
  sentence-transformers ``range_min`` convention), ``score``, ``s_pos`` (minimum positive score by
  default), ``gap = s_pos - score`` and ``suspect`` (the margin rule of the false-negative
  signal: ``score >= ratio * s_pos``, NV-Retriever's 95%). Computed once; selections index it.
- ``selected_rows(pool, selections)``: one row per chosen negative and selection (long format).
- ``histogram(rows, column)``: counts and shares per bin and selection, on shared bin edges.
- ``summary(pool, selections)``: one row per selection: size, coverage (queries that got the
  full number of negatives), mean/median rank, neg_rank and gap, share of false-negative
  suspects, diversity (distinct negatives / total), reuse (how many queries the most reused
  document serves; mean queries per distinct document), and with a ``cluster`` column the mean
  per-query entropy of the chosen negatives' clusters (bits).
- ``overlap(selections)``: the Jaccard index of the (qid, did) pairs of every two selections
  (a square matrix; selections on one pool hold pool rows, so pairs are row indices).

``selections`` is a mapping ``label -> analysis.strategies.Selection`` made on ``pool``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from analysis.measure.gaps import POSITIVE_REDUCTIONS, positive_scores
from analysis.model import RANK_UNKNOWN, DataError, NegativeSet

SUSPECT_RATIO = 0.95


def pool_columns(pool: NegativeSet, *, positive: str = "min",
                 suspect_ratio: float = SUSPECT_RATIO) -> pd.DataFrame:
    """Per pool row: rank, neg_rank, score, s_pos, gap, suspect (see the module docstring)."""
    from analysis.strategies.view import PoolView

    if positive not in POSITIVE_REDUCTIONS:
        raise DataError(f"positive must be one of {POSITIVE_REDUCTIONS}, got {positive!r}",
                        field="positive")
    view = PoolView.of(pool)
    neg_rank = np.zeros(len(pool.pairs), dtype=np.int64)  # 0 for rows outside the candidates
    neg_rank[view.rows] = np.where(view.negatives, view.neg_position + 1, 0)
    pairs = pool.pairs
    score = pairs["score"].to_numpy(dtype=np.float64)
    s_pos = positive_scores(pairs, how=positive)[pairs["qid"].cat.codes.to_numpy()]
    rank = pairs["rank"].to_numpy().astype(np.float64)
    rank[rank == RANK_UNKNOWN] = np.nan  # a file without ranks has none: never a mean rank of 0
    neg_rank = neg_rank.astype(np.float64) if pool.has_ranks else np.full(len(pairs), np.nan)
    return pd.DataFrame({"rank": rank, "neg_rank": neg_rank, "score": score,
                         "s_pos": s_pos, "gap": s_pos - score,
                         "suspect": score >= suspect_ratio * s_pos})


def _check(pool: NegativeSet, selections: Mapping) -> None:
    if not selections:
        raise DataError("no selection to compare", field="strategy")
    for label, selection in selections.items():
        if len(selection.rows) and selection.rows.max() >= len(pool.pairs):
            raise DataError(f"selection {label!r} was not made on this pool", field="strategy")


def selected_rows(pool: NegativeSet, selections: Mapping, *,
                  columns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long format: ``selection``, ``qid``, ``did`` and the ``pool_columns`` of every chosen row."""
    _check(pool, selections)
    columns = pool_columns(pool) if columns is None else columns
    frames = []
    for label, selection in selections.items():
        frame = columns.iloc[selection.rows].reset_index(drop=True)
        frame.insert(0, "did", pool.pairs["did"].to_numpy()[selection.rows])
        frame.insert(0, "qid", pool.pairs["qid"].to_numpy()[selection.rows])
        frame.insert(0, "selection", label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def histogram(rows: pd.DataFrame, column: str, *, bins: int = 20) -> pd.DataFrame:
    """Counts per bin for each selection on shared edges: ``selection, left, right, count, share``."""
    if column not in rows.columns:
        raise DataError(f"no column {column!r} to histogram", field=column)
    values = rows[column].to_numpy(dtype=np.float64)
    known = ~np.isnan(values)
    if not known.any():
        return pd.DataFrame(columns=["selection", "left", "right", "count", "share"])
    edges = np.histogram_bin_edges(values[known], bins=bins)
    frames = []
    for label, group in rows.groupby("selection", sort=False):
        v = group[column].to_numpy(dtype=np.float64)
        counts, _ = np.histogram(v[~np.isnan(v)], bins=edges)
        frames.append(pd.DataFrame({"selection": label, "left": edges[:-1], "right": edges[1:],
                                    "count": counts, "share": counts / max(counts.sum(), 1)}))
    return pd.concat(frames, ignore_index=True)


def summary(pool: NegativeSet, selections: Mapping, *, positive: str = "min",
            suspect_ratio: float = SUSPECT_RATIO) -> pd.DataFrame:
    """One row per selection with the metrics listed in the module docstring."""
    _check(pool, selections)
    summarise = Summariser(pool, positive=positive, suspect_ratio=suspect_ratio)
    return pd.DataFrame.from_records([summarise.record(label, selection)
                                      for label, selection in selections.items()])


class Summariser:
    """``summary``'s row of one selection at a time, the pool's columns prepared once: a caller
    can select, summarise and drop each selection in turn (``compare_stream``)."""

    def __init__(self, pool: NegativeSet, *, positive: str = "min",
                 suspect_ratio: float = SUSPECT_RATIO):
        if positive not in POSITIVE_REDUCTIONS:
            raise DataError(f"positive must be one of {POSITIVE_REDUCTIONS}, got {positive!r}",
                            field="positive")
        self.lean = _LeanColumns(pool, positive, suspect_ratio)   # chosen rows' values only
        self.dcode = pool.pairs["did"].cat.codes.to_numpy()
        self.qcode = pool.pairs["qid"].cat.codes.to_numpy()
        self.clusters = pool.pairs["cluster"].to_numpy() if "cluster" in pool.pairs.columns else None

    def record(self, label: str, selection) -> dict:
        dcode, qcode, clusters = self.dcode, self.qcode, self.clusters
        rows, report = selection.rows, selection.report
        docs = np.bincount(dcode[rows]) if len(rows) else np.zeros(0, dtype=np.int64)
        used = docs[docs > 0]
        record = {
            "selection": label, "strategy": selection.strategy, "requested": report.requested,
            "negatives": len(rows), "queries": report.num_queries,
            "coverage": _share(report.num_queries - report.num_short, report.num_queries),
            "short_queries": report.num_short,
        }
        for col, v in self.lean.values(rows):
            if col == "suspect":
                suspect, judged = v
                record["suspect_share"] = _share(int(suspect[judged].sum()), int(judged.sum()))
                break
            known = v[~np.isnan(v)]
            del v
            record[f"mean_{col}"] = float(known.mean()) if len(known) else float("nan")
            record[f"median_{col}"] = float(np.median(known, overwrite_input=True)) \
                if len(known) else float("nan")
            del known
        record.update({
            "distinct_share": _share(len(used), len(rows)),
            "max_reuse": int(used.max()) if len(used) else 0,
            "mean_reuse": float(used.mean()) if len(used) else float("nan"),
        })
        if clusters is not None:
            record["cluster_entropy"] = _mean_entropy(qcode[rows], clusters[rows])
        return record


class _LeanColumns:
    """``pool_columns``' rank, neg_rank, gap, suspect and s_pos, computed for given pool rows
    only, with the same float64 arithmetic: on 110M pairs the full table would take ~5 GiB,
    a selection's rows a fraction. ``neg_rank`` counts non-positives before a row in its query
    from one cumulative count over the view (int32 where it fits)."""

    def __init__(self, pool: NegativeSet, positive: str, suspect_ratio: float):
        from analysis.strategies.view import PoolView

        pairs = pool.pairs
        self.ratio, self.has_ranks = suspect_ratio, pool.has_ranks
        self.score, self.rank = pairs["score"].to_numpy(), pairs["rank"].to_numpy()
        self.qcode = pairs["qid"].cat.codes.to_numpy()
        self.s_pos = positive_scores(pairs, how=positive)
        if not self.has_ranks:
            return
        view = PoolView.of(pool)
        self.view = view
        flags = view.negatives
        kind = np.int32 if len(flags) < 2 ** 31 else np.int64
        self.before = np.cumsum(flags, dtype=kind) - flags         # negatives before, whole view
        self.position = None                                      # pool row -> view position
        if not np.array_equal(view.rows, np.arange(len(view.rows))):
            self.position = np.full(len(pairs), -1, dtype=np.int64)
            self.position[view.rows] = np.arange(len(view.rows))

    def values(self, rows: np.ndarray):
        """(name, values) for rank, neg_rank and gap in turn, then ("suspect", (suspect,
        judged)): one float64 column of the chosen rows alive at a time."""
        rank = self.rank[rows].astype(np.float64)
        rank[rank == RANK_UNKNOWN] = np.nan
        yield "rank", rank
        del rank
        yield "neg_rank", self._neg_rank(rows)
        s_pos = self.s_pos[self.qcode[rows]]
        score = self.score[rows].astype(np.float64)
        yield "gap", s_pos - score
        judged = ~np.isnan(s_pos)
        yield "suspect", (score >= self.ratio * s_pos, judged)

    def _neg_rank(self, rows: np.ndarray) -> np.ndarray:
        if not self.has_ranks:
            return np.full(len(rows), np.nan)
        view = self.view
        at = rows if self.position is None else self.position[rows]
        neg_rank = np.zeros(len(rows), dtype=np.float64)
        inside = at >= 0
        at = at[inside]
        start = view.starts[np.searchsorted(view.starts, at, side="right") - 1]
        found = (self.before[at] - self.before[start]).astype(np.float64) + 1
        neg_rank[inside] = np.where(view.negatives[at], found, 0)
        return neg_rank


def _share(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def _mean_entropy(queries: np.ndarray, labels: np.ndarray) -> float:
    """Mean over queries of the entropy (bits) of their chosen negatives' cluster labels."""
    if len(queries) == 0:
        return float("nan")
    label_codes = pd.factorize(labels)[0]
    pair, counts = np.unique(queries.astype(np.int64) * (label_codes.max() + 2) + label_codes,
                             return_counts=True)
    owner = pair // (label_codes.max() + 2)
    totals = np.bincount(owner, weights=counts)[owner]  # negatives per query, not clusters
    p = counts / totals
    entropy = np.bincount(owner, weights=-p * np.log2(p))
    return float(entropy[np.unique(owner)].mean())


def overlap(selections: Mapping) -> pd.DataFrame:
    """Jaccard index |A ∩ B| / |A ∪ B| of the chosen (qid, did) pairs, for every two selections.

    Selections on one pool are sets of pool rows, so each becomes a boolean mask over the rows
    and every intersection is one vectorised AND.
    """
    labels = list(selections)
    size = max((int(selections[label].rows.max()) + 1 for label in labels
                if len(selections[label].rows)), default=0)
    masks = {}
    for label in labels:
        mask = np.zeros(size, dtype=bool)
        mask[selections[label].rows] = True
        masks[label] = mask
    counts = {label: int(mask.sum()) for label, mask in masks.items()}
    matrix = np.ones((len(labels), len(labels)))
    for i, a in enumerate(labels):
        for j in range(i + 1, len(labels)):
            b = labels[j]
            common = int(np.count_nonzero(masks[a] & masks[b]))
            union = counts[a] + counts[b] - common
            matrix[i, j] = matrix[j, i] = common / union if union else 1.0
    return pd.DataFrame(matrix, index=pd.Index(labels, name="selection"), columns=labels)

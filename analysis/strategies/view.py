"""A pool prepared for selection: its rows sorted by ``(query, rank)`` as flat numpy arrays.

Strategies never touch ``pool.pairs`` row by row. ``PoolView.of(pool)`` validates the pool once
and exposes its columns in view order (each query one contiguous segment, its rows by raw rank,
ties by row); ``rows`` maps view positions back to ``pool.pairs`` row numbers, so a selection is
just the view positions a strategy keeps. ``FilterLog`` records sequential filter removals the
way sentence-transformers prints them: each filter counts only the candidates that survived the
filters before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from analysis.model import POSITIVE_REDUCTIONS, RANK_UNKNOWN, DataError, NegativeSet
from analysis.strategies.segments import count_before, dense_layout, segment_starts

REQUIRED_COLUMNS = ("qid", "did", "label", "rank", "score")


@dataclass(frozen=True, eq=False)
class PoolView:
    """Columns of a pool in ``(query code, rank, row)`` order.

    ``rows`` (int64) is the ``pool.pairs`` row of each view position and ``local`` its row in
    ``pairs`` (the candidate rows, see ``_candidate_rows``); ``qcode`` the query's
    categorical code (pandas' compact integer dtype); ``label``, ``rank``, ``score`` the pool's
    values (``score`` float32, NaN when unknown). When the pool is already sorted the arrays are
    read-only views of its columns, not copies.
    """

    pairs: pd.DataFrame
    rows: np.ndarray
    local: np.ndarray
    qcode: np.ndarray
    label: np.ndarray
    rank: np.ndarray
    score: np.ndarray

    @classmethod
    def of(cls, pool: NegativeSet) -> "PoolView":
        if not isinstance(pool, NegativeSet):
            raise DataError(f"a pool must be a NegativeSet, got {type(pool).__name__}")
        pairs = pool.pairs
        missing = [c for c in REQUIRED_COLUMNS if c not in pairs.columns]
        if missing:
            raise DataError(f"the pool lacks column(s) {missing}", field=missing[0])
        scope = _candidate_rows(pairs)
        if scope is not None:
            pairs = pairs.iloc[scope].reset_index(drop=True)
        qcode = np.asarray(pairs["qid"].array.codes)
        rank = pairs["rank"].to_numpy()
        label = pairs["label"].to_numpy()
        score = pairs["score"].to_numpy(dtype=np.float32)
        order = np.arange(len(qcode), dtype=np.int64)
        if not _sorted_by_query_and_rank(qcode, rank):
            order = np.lexsort((rank, qcode)).astype(np.int64)
            qcode, label, rank, score = qcode[order], label[order], rank[order], score[order]
        return cls(pairs=pairs, rows=order if scope is None else scope[order], local=order,
                   qcode=qcode, label=label, rank=rank, score=score)

    # -- derived columns ------------------------------------------------------------------
    @property
    def num_queries(self) -> int:
        """Number of query codes (the pool's query categories)."""
        return len(self.pairs["qid"].cat.categories)

    @cached_property
    def negatives(self) -> np.ndarray:
        return self.label == 0

    @cached_property
    def starts(self) -> np.ndarray:
        """View position of each query's first row."""
        return segment_starts(self.qcode)

    @cached_property
    def present(self) -> np.ndarray:
        """Per query code: whether the query has any row in the pool."""
        present = np.zeros(self.num_queries, dtype=bool)
        present[self.qcode[self.starts]] = True
        return present

    @cached_property
    def layout(self):
        """``segments.dense_layout`` of the view's query codes (computed once)."""
        return dense_layout(self.qcode, self.starts) if len(self.qcode) else None

    @cached_property
    def positive_rows(self) -> np.ndarray:
        """View positions of the labelled positives."""
        return np.flatnonzero(self.label != 0)

    @cached_property
    def positives_per_query(self) -> np.ndarray:
        return np.bincount(self.qcode[self.positive_rows], minlength=self.num_queries)

    @cached_property
    def neg_position(self) -> np.ndarray:
        """0-based position of each row among its query's non-positives in rank order."""
        return count_before(self.qcode, self.negatives)

    def positive_score(self, how: str = "min") -> np.ndarray:
        """``s_pos`` of each row's query (float32; NaN when the query has no scored positive).

        The rule of ``analysis.measure.gaps.positive_scores`` (min, mean or max over the query's scored
        positives), computed on the positive rows only instead of the whole pairs table.
        """
        if how not in POSITIVE_REDUCTIONS:
            raise DataError(f"positive must be one of {POSITIVE_REDUCTIONS}, got {how!r}",
                            field="positive")
        where = self.positive_rows
        scores = self.score[where].astype(np.float64)
        known = ~np.isnan(scores)
        codes, scores = self.qcode[where][known], scores[known]
        per_query = np.full(self.num_queries, np.nan)
        if how == "mean":
            counts = np.bincount(codes, minlength=self.num_queries)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_query = np.bincount(codes, weights=scores, minlength=self.num_queries) / counts
        else:
            reduce = np.minimum if how == "min" else np.maximum
            per_query[:] = np.inf if how == "min" else -np.inf
            reduce.at(per_query, codes, scores)
            per_query[np.bincount(codes, minlength=self.num_queries) == 0] = np.nan
        return per_query.astype(np.float32)[self.qcode]

    def column(self, name: str) -> np.ndarray:
        """An extra pool column (e.g. ``cluster``) in view order."""
        if name not in self.pairs.columns:
            raise DataError(f"the pool has no column {name!r}", field=name)
        return self.pairs[name].to_numpy()[self.local]

    def require_ranks(self, why: str) -> None:
        """Raise unless every row has a known raw rank."""
        if (self.rank == RANK_UNKNOWN).any():
            raise DataError(f"{why} needs the raw rank of every pool row; "
                            f"{int((self.rank == RANK_UNKNOWN).sum())} rows have none", field="rank")

    def depth(self) -> int:
        """Deepest raw rank held by a non-positive candidate (the pool's N)."""
        ranks = self.rank[self.negatives]
        return int(ranks.max()) if len(ranks) else 0


@dataclass(frozen=True)
class FilterCount:
    """One filter's effect: ``removed`` of the ``candidates`` still alive when it ran.

    ``total``, when set, is the denominator sentence-transformers prints the percentage
    against (every cell of its candidate window, see ``margin``); else ``candidates``."""

    name: str
    value: object
    rule: str
    removed: int
    candidates: int
    total: int | None = None

    @property
    def ratio(self) -> float:
        base = self.candidates if self.total is None else self.total
        return self.removed / base if base else 0.0

    def line(self) -> str:
        """The sentence sentence-transformers prints, e.g. 'Skipped 12 potential negatives ...'."""
        cause = f"the {self.name} of {self.value}" if self.value is not None else self.rule
        return f"Skipped {self.removed:,} potential negatives ({self.ratio:.2%}) due to {cause}."

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "rule": self.rule,
                "removed": self.removed, "candidates": self.candidates,
                **({"total": self.total} if self.total is not None else {})}


@dataclass(eq=False)
class FilterLog:
    """The candidates still eligible (``alive``, over view positions) and how filters cut them.

    ``candidates`` is the size of the candidate set the filters start from: the non-positives of
    the pool, or of a window a strategy declares with ``restrict(..., window=True)``.
    """

    alive: np.ndarray
    steps: list[FilterCount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    candidates: int = -1

    def __post_init__(self) -> None:
        self.candidates = int(self.alive.sum())

    def restrict(self, keep: np.ndarray, note: str | None = None, *, window: bool = False) -> None:
        """Narrow the eligible rows without counting it as a filter (a window, a rank range)."""
        self.alive = self.alive & keep
        if window:
            self.candidates = int(self.alive.sum())
        if note:
            self.notes.append(note)

    def remove(self, name: str, value: object, drop: np.ndarray, rule: str) -> None:
        """Remove alive candidates where ``drop`` holds, recording how many it removed."""
        before = int(self.alive.sum())
        hit = int((self.alive & drop).sum())
        self.alive = self.alive & ~drop
        self.steps.append(FilterCount(name, value, rule, hit, before))


def drop_unscored(view: PoolView, log: FilterLog) -> None:
    """Score-based strategies cannot rank a candidate without a score: count and drop it."""
    unscored = np.isnan(view.score)
    if unscored.any():
        log.remove("score", None, unscored, "no score (NaN)")


def drop_without_positive(s_pos: np.ndarray, log: FilterLog) -> None:
    """Rules relative to ``s_pos`` cannot judge queries without a scored positive: drop theirs."""
    missing = np.isnan(s_pos)
    if missing.any():
        log.remove("positive", None, missing, "the query has no scored positive")


def _sorted_by_query_and_rank(qcode: np.ndarray, rank: np.ndarray) -> bool:
    if len(qcode) < 2:
        return True
    step = np.diff(qcode)
    return bool(((step > 0) | ((step == 0) & (rank[1:] >= rank[:-1]))).all())


def _candidate_rows(pairs: pd.DataFrame) -> np.ndarray | None:
    """Rows strategies draw from, or None for all of them.

    A pool built from a mined file also carries that file's own pairs under the file's name
    (ranked and scored, for comparison); strategies sample from the ``pool`` rows only.
    """
    source = pairs["source"]
    if len(source.cat.categories) <= 1:
        return None
    used = np.flatnonzero(np.bincount(np.asarray(source.array.codes),
                                      minlength=len(source.cat.categories)))
    if len(used) <= 1:
        return None
    names = [str(source.cat.categories[i]) for i in used]
    if "pool" not in names:
        raise DataError(f"a pool holds one source or a \"pool\" source; this one holds "
                        f"{len(names)} ({', '.join(names[:3])}, ...)", field="source")
    return np.flatnonzero(source.to_numpy() == "pool").astype(np.int64)

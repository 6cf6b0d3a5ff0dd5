"""Rank windows: ``range`` (positions in the ranking) and ``margin`` (sentence-transformers).

``range`` keeps candidates at 0-based positions ``[range_min, range_max)`` and takes the first
(``top``) or a uniform sample (``random``) of them. Positions count non-positives in raw-rank order
(``count="negatives"``, sentence-transformers' ``range_min``/``range_max``) or raw ranks with the
positives in (``count="raw"``, FlagEmbedding's ``range_for_sampling="10-210"``: ranks 11..210).
Unlike FlagEmbedding, a short query is reported, never padded with random corpus documents.

``margin`` reproduces ``sentence_transformers.util.mine_hard_negatives`` (v6, read from its source):

1. ``range_max`` defaults to ``range_min + 10 * num_negatives + max_positives`` when a margin or
   ``max_score`` is set, else ``range_min + num_negatives + max_positives``, where
   ``max_positives`` is the largest number of positives any query has.
2. Candidates are the non-positives among the top ``range_max + max_positives`` raw ranks (the
   window sentence-transformers retrieves); labelled positives are removed.
3. Filters, in this order, in float32 as there: ``absolute_margin`` removes ``s + m > s_pos``;
   ``relative_margin`` removes ``s > s_pos - |s_pos| * m``; ``max_score`` removes ``s > max``;
   ``min_score`` removes ``s < min``. ``s_pos`` is the *minimum* positive score of the query.
4. Survivors are ordered by score (ties by raw rank); positions ``[range_min, range_max)``
   among them are eligible, so ``range_min`` counts surviving candidates, not raw ranks.
5. ``top`` takes the first ``num_negatives``; ``random`` draws them uniformly (sentence-transformers
   uses ``random.sample`` over the same eligible positions; same distribution, other generator).

Counts differ in one place: sentence-transformers' ``min_score`` count also includes candidates
already removed (their score is ``-inf`` by then); here every filter counts live candidates only.
Percentages are sentence-transformers': each filter's count over every cell of the window
(queries x window, positives and removed cells included), less what the margins removed before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.model import DataError
from analysis.strategies.base import Strategy, param, register
from analysis.strategies.baseline import uniform
from analysis.strategies.segments import descending_rank, top_k_mask
from analysis.strategies.view import (
    FilterLog,
    PoolView,
    drop_unscored,
    drop_without_positive,
)

ST = "sentence-transformers mine_hard_negatives"


def _first_or_uniform(view: PoolView, eligible: np.ndarray, position: np.ndarray, k: int,
                      sampling: str, rng: np.random.Generator) -> np.ndarray:
    if sampling == "random":
        return uniform(view, eligible, k, rng)
    chosen = np.zeros(len(eligible), dtype=bool)
    where = np.flatnonzero(eligible)
    chosen[where] = top_k_mask(view.qcode[where], -position[where].astype(np.float64), k)
    return chosen


@register
@dataclass(frozen=True)
class Range(Strategy):
    name = "range"
    summary = "candidates at positions [range_min, range_max), top or random"
    source = f"{ST} range_min/range_max/sampling_strategy; FlagEmbedding range_for_sampling"

    num_negatives: int = param(15, low=1, high=10_000, help="negatives to choose per query",
                               source="FlagEmbedding hn_mine negative_number=15")
    range_min: int = param(10, low=0, high=1_000_000, help="skip the first range_min positions",
                           source="FlagEmbedding range_for_sampling='10-210'")
    range_max: int = param(210, low=1, high=1_000_000, help="consider positions below range_max",
                           source="FlagEmbedding range_for_sampling='10-210'")
    sampling: str = param("random", choices=("top", "random"),
                          help="take the first candidates in the range, or a uniform sample")
    count: str = param("negatives", choices=("negatives", "raw"),
                       help="positions among non-positives (sentence-transformers) or raw ranks "
                            "with positives (FlagEmbedding)")

    def _validate(self) -> None:
        if self.range_min >= self.range_max:
            raise DataError(f"range_min ({self.range_min}) must be below range_max "
                            f"({self.range_max})", field="range_min")

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        if self.count == "raw":
            view.require_ranks("count='raw'")
            position = view.rank.astype(np.int64) - 1
            depth = view.depth()
        else:
            position = view.neg_position
            depth = int(view.neg_position[view.negatives].max(initial=-1)) + 1
        note = None
        if self.range_max > depth:
            note = (f"range_max={self.range_max} reaches past the pool's deepest candidate "
                    f"(position {depth}): a deeper pool could offer more candidates")
        log.restrict((position >= self.range_min) & (position < self.range_max), note)
        return _first_or_uniform(view, log.alive, position, self.num_negatives, self.sampling, rng)


@register
@dataclass(frozen=True)
class Margin(Strategy):
    name = "margin"
    summary = "sentence-transformers filters (margins, max/min score), then range + top/random"
    source = ST

    num_negatives: int = param(3, low=1, high=10_000, help="negatives to choose per query",
                               source=f"{ST} default")
    range_min: int = param(0, low=0, high=1_000_000,
                           help="skip the first range_min surviving candidates", source=ST)
    range_max: int = param(None, type=int, nullable=True, low=1, high=1_000_000,
                           help="consider surviving candidates below range_max "
                                "(None: derived as sentence-transformers does)", source=ST)
    absolute_margin: float = param(None, type=float, nullable=True,
                                   help="remove candidates with s + m > s_pos", source=ST)
    relative_margin: float = param(None, type=float, nullable=True, low=0.0, high=1.0,
                                   help="remove candidates with s > s_pos - |s_pos| * m "
                                        "(0.05 = NV-Retriever TopK-PercPos 95%)", source=ST)
    max_score: float = param(None, type=float, nullable=True,
                             help="remove candidates scoring above this", source=ST)
    min_score: float = param(None, type=float, nullable=True,
                             help="remove candidates scoring below this", source=ST)
    sampling: str = param("top", choices=("top", "random"),
                          help="take the best surviving candidates, or a uniform sample",
                          source=f"{ST} sampling_strategy")

    def _validate(self) -> None:
        if self.range_max is not None:
            if self.range_min >= self.range_max:
                raise DataError(f"range_min ({self.range_min}) must be below range_max "
                                f"({self.range_max})", field="range_min")
            if self.num_negatives > self.range_max - self.range_min:
                raise DataError(f"cannot choose {self.num_negatives} negatives: only "
                                f"{self.range_max - self.range_min} positions lie in "
                                f"[range_min, range_max)", field="num_negatives")

    def effective_range_max(self, max_positives: int) -> int:
        """``range_max`` as given, or derived from the other settings as sentence-transformers does."""
        if self.range_max is not None:
            return self.range_max
        filtered = (self.absolute_margin is not None or self.relative_margin is not None
                    or self.max_score is not None)
        return self.range_min + self.num_negatives * (10 if filtered else 1) + max_positives

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        view.require_ranks("margin (sentence-transformers' candidate window)")
        max_positives = int(view.positives_per_query.max(initial=0))
        range_max = self.effective_range_max(max_positives)
        window = range_max + max_positives
        note = None
        if window > view.depth():
            note = (f"the candidate window reaches raw rank {window} (range_max={range_max} + "
                    f"{max_positives} positives at most) but the pool only reaches rank "
                    f"{view.depth()}: mining the whole corpus could find candidates it lacks")
        log.restrict(view.rank <= window, note, window=True)
        self._filter(view, log)
        _st_percentages(log, int(view.present.sum()) * window)
        where = np.flatnonzero(log.alive)
        position = descending_rank(view.qcode[where], view.score[where])
        in_range = (position >= self.range_min) & (position < range_max)
        eligible = np.zeros(len(view.qcode), dtype=bool)
        eligible[where[in_range]] = True
        full_position = np.zeros(len(view.qcode), dtype=np.int64)
        full_position[where] = position
        return _first_or_uniform(view, eligible, full_position, self.num_negatives,
                                 self.sampling, rng)

    def _filter(self, view: PoolView, log: FilterLog) -> None:
        score = view.score
        drop_unscored(view, log)
        if self.absolute_margin is not None or self.relative_margin is not None:
            s_pos = view.positive_score("min")
            drop_without_positive(s_pos, log)
            with np.errstate(invalid="ignore"):
                if self.absolute_margin is not None:
                    log.remove("absolute_margin", self.absolute_margin,
                               score + np.float32(self.absolute_margin) > s_pos,
                               f"s + {self.absolute_margin} > s_pos")
                if self.relative_margin is not None:
                    threshold = s_pos - np.abs(s_pos) * np.float32(self.relative_margin)
                    log.remove("relative_margin", self.relative_margin, score > threshold,
                               f"s > s_pos - |s_pos| * {self.relative_margin}")
        if self.max_score is not None:
            log.remove("max_score", self.max_score, score > np.float32(self.max_score),
                       f"s > {self.max_score}")
        if self.min_score is not None:
            log.remove("min_score", self.min_score, score < np.float32(self.min_score),
                       f"s < {self.min_score}")


def _st_percentages(log: FilterLog, cells: int) -> None:
    """Give the filter steps sentence-transformers' denominators: the window's cells, less what
    the margin filters removed before (max_score's removals are not subtracted there)."""
    import dataclasses

    for i, step in enumerate(log.steps):
        if step.name in ("absolute_margin", "relative_margin", "max_score", "min_score"):
            log.steps[i] = dataclasses.replace(step, total=cells)
            if step.name in ("absolute_margin", "relative_margin"):
                cells -= step.removed

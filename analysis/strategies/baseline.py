"""Baselines: uniform random negatives, the top-k hardest, and STAR's mix of the two.

- ``random``: ``num_negatives`` non-positives drawn uniformly without replacement from the query's
  pool (the classic random-negative baseline; DPR, Karpukhin et al. 2020, uses BM25 and in-batch
  negatives, random ones are the control).
- ``top_k``: the ``num_negatives`` best-scored non-positives (ties by raw rank): static hard
  negatives as ANCE's first round or STAR's static set (Xiong et al. 2021; Zhan et al. 2021).
- ``star``: ``round(hard_fraction * num_negatives)`` top-k hard negatives plus random ones from
  the rest of the pool. STAR (Zhan et al., SIGIR 2021) pairs static hard negatives with random
  (in-batch) negatives to stabilise training; here the random part comes from the pool, since a
  pool is the common ground strategies are compared on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.strategies.base import Strategy, param, register
from analysis.strategies.segments import gumbel_top_k, top_k_mask
from analysis.strategies.view import FilterLog, PoolView, drop_unscored


def uniform(view: PoolView, eligible: np.ndarray, k, rng: np.random.Generator) -> np.ndarray:
    """Up to ``k`` eligible rows per query, uniformly without replacement (mask over the view).

    Gumbel-top-k with weight 1 for eligible rows and 0 for the others, over every view row.
    """
    log_weights = np.where(eligible, np.float32(0.0), np.float32(-np.inf))
    return gumbel_top_k(view.qcode, log_weights, k, rng, layout=view.layout)


def hardest(view: PoolView, eligible: np.ndarray, k) -> np.ndarray:
    """Up to ``k`` eligible rows per query with the highest scores (ties: lower raw rank)."""
    chosen = np.zeros(len(eligible), dtype=bool)
    where = np.flatnonzero(eligible)
    limit = k[where] if isinstance(k, np.ndarray) else k
    chosen[where] = top_k_mask(view.qcode[where], view.score[where].astype(np.float64), limit)
    return chosen


@register
@dataclass(frozen=True)
class RandomNegatives(Strategy):
    name = "random"
    summary = "uniform random non-positives from the pool"
    source = "baseline (random negatives)"

    num_negatives: int = param(15, low=1, high=10_000, help="negatives to choose per query")

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        return uniform(view, log.alive, self.num_negatives, rng)


@register
@dataclass(frozen=True)
class TopK(Strategy):
    name = "top_k"
    summary = "the k best-scored non-positives"
    source = "naive static hard negatives (ANCE first round, STAR static; Xiong et al. 2021)"

    num_negatives: int = param(15, low=1, high=10_000, help="negatives to choose per query")

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        drop_unscored(view, log)
        return hardest(view, log.alive, self.num_negatives)


@register
@dataclass(frozen=True)
class Star(Strategy):
    name = "star"
    summary = "part top-k hard negatives, the rest uniform random from the pool"
    source = "STAR (Zhan et al., SIGIR 2021): static hard + random negatives"

    num_negatives: int = param(15, low=1, high=10_000, help="negatives to choose per query")
    hard_fraction: float = param(0.5, low=0.0, high=1.0,
                                 help="share of num_negatives taken as top-k hard negatives",
                                 source="STAR mixes hard and random negatives")

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        drop_unscored(view, log)
        num_hard = int(round(self.hard_fraction * self.num_negatives))
        hard = hardest(view, log.alive, num_hard)
        got = np.bincount(view.qcode[hard], minlength=view.num_queries)
        left = (self.num_negatives - got)[view.qcode]
        return hard | uniform(view, log.alive & ~hard, left, rng)

"""Balanced negatives: spread each query's negatives over score-gap bins or document clusters.

TAS-Balanced (Hofstätter et al., "Efficiently Teaching an Effective Dense Retriever with Balanced
Topic Aware Sampling", SIGIR 2021) samples training pairs so that their teacher margins are
balanced: margins are split into 10 equal-width bins and a bin is chosen uniformly before a pair
from it. Here, per query, the candidates' gaps ``s_pos - s`` are split into ``num_bins``
equal-width bins spanning that query's smallest to largest gap, and negatives are drawn
round-robin: the bins are visited in a random order, one random candidate from each non-empty
bin per round, until ``num_negatives`` are chosen or the candidates run out. Every non-empty bin
is thus represented before any bin gives a second negative.

When the pool carries document cluster labels (a ``cluster`` column in ``pool.pairs``, e.g. from
k-means on document embeddings), ``balance="cluster"`` (or ``"auto"``) balances across clusters
instead, in the spirit of ClusterNS (Deng et al., 2023): negatives come from as many different
clusters as possible. TAS-Balanced's other half, clustering *queries* into topics to compose
batches, concerns batching rather than which negatives a query gets and is out of scope here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.model import POSITIVE_REDUCTIONS
from analysis.strategies.base import Strategy, param, register
from analysis.strategies.segments import (
    dense_layout,
    descending_rank,
    position_in_segment,
    segment_starts,
)
from analysis.strategies.view import (
    FilterLog,
    PoolView,
    drop_unscored,
    drop_without_positive,
)

CLUSTER_COLUMN = "cluster"


def gap_bins(codes: np.ndarray, gap: np.ndarray, num_bins: int) -> np.ndarray:
    """Equal-width bin (0 .. num_bins-1) of every gap within its segment's [min, max] range."""
    starts = segment_starts(codes)
    lengths = np.diff(np.append(starts, len(codes)))
    low = np.repeat(np.minimum.reduceat(gap, starts), lengths) if len(codes) else gap
    high = np.repeat(np.maximum.reduceat(gap, starts), lengths) if len(codes) else gap
    width = (high - low) / num_bins
    with np.errstate(invalid="ignore", divide="ignore"):
        bins = np.where(width > 0, np.floor((gap - low) / width), 0)
    return np.clip(bins, 0, num_bins - 1).astype(np.int64)


def round_robin(codes: np.ndarray, groups: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``k`` rows per segment, one per group per round, the groups in random order.

    ``codes`` are sorted; ``groups`` (non-negative ints) label rows within a segment. Draws
    ``len(codes)`` uniforms to shuffle rows within their group, then one uniform per
    (segment, group) to order the groups; both orders are per-segment ranks, never a Python loop.
    """
    n = len(codes)
    chosen = np.zeros(n, dtype=bool)
    if n == 0:
        return chosen
    # Lay rows out by (segment, group, shuffled): the sorted position is segment start + rank.
    dense = dense_layout(codes)
    by_group = descending_rank(codes, -(groups + rng.random(n)), layout=dense, distinct=True)
    starts = segment_starts(codes)
    start_of_row = np.repeat(starts, np.diff(np.append(starts, n)))
    layout = np.empty(n, dtype=np.int64)
    layout[start_of_row + by_group] = np.arange(n)
    g = groups[layout]
    new_group = np.concatenate(([True], (codes[1:] != codes[:-1]) | (g[1:] != g[:-1])))
    group_id = np.cumsum(new_group) - 1
    round_no = position_in_segment(group_id)
    visit = round_no + rng.random(int(group_id[-1]) + 1)[group_id]
    chosen[layout[descending_rank(codes, -visit, layout=dense, distinct=True) < k]] = True
    return chosen


@register
@dataclass(frozen=True)
class ClusterBalanced(Strategy):
    name = "cluster_balanced"
    summary = "round-robin over equal-width gap bins (or document clusters) per query"
    source = "TAS-Balanced (Hofstätter et al., SIGIR 2021): 10 margin bins; ClusterNS"

    num_negatives: int = param(15, low=1, high=10_000, help="negatives to choose per query")
    num_bins: int = param(10, low=1, high=1000, help="equal-width gap bins per query",
                          source="TAS-Balanced: 10 bins")
    balance: str = param("auto", choices=("auto", "gap", "cluster"),
                         help="balance gap bins, or the pool's 'cluster' column "
                              "(auto: clusters when the column exists)")
    positive: str = param("min", choices=POSITIVE_REDUCTIONS,
                          help="how s_pos reduces several positives: min, mean or max")

    def _choose(self, view: PoolView, rng, log: FilterLog) -> np.ndarray:
        use_clusters = self.balance == "cluster" or (
            self.balance == "auto" and CLUSTER_COLUMN in view.pairs.columns)
        if use_clusters:
            labels = view.column(CLUSTER_COLUMN)
            missing = pd.isna(labels)
            if missing.any():
                log.remove(CLUSTER_COLUMN, None, missing, "no cluster label")
            groups = pd.factorize(labels, use_na_sentinel=True)[0].astype(np.int64)
        else:
            drop_unscored(view, log)
            s_pos = view.positive_score(self.positive)
            drop_without_positive(s_pos, log)
            groups = np.zeros(len(view.qcode), dtype=np.int64)
        where = np.flatnonzero(log.alive)
        codes = view.qcode[where]
        if not use_clusters:
            gap = s_pos[where].astype(np.float64) - view.score[where].astype(np.float64)
            groups[where] = gap_bins(codes, gap, self.num_bins)
        chosen = np.zeros(len(view.qcode), dtype=bool)
        chosen[where] = round_robin(codes, groups[where], self.num_negatives, rng)
        return chosen

"""cluster_balanced: equal-width gap bins per query, round-robin draws, or document clusters."""

from __future__ import annotations

import numpy as np
from conftest import chosen, hand_pool
from scipy.stats import chisquare

from analysis.strategies import create
from analysis.strategies.balanced import gap_bins, round_robin


def test_gap_bins_are_equal_width_per_query():
    codes = np.array([0, 0, 0, 0, 1, 1])
    gap = np.array([0.0, 0.24, 0.26, 1.0, 0.3, 0.3])
    assert gap_bins(codes, gap, 4).tolist() == [0, 0, 1, 3, 0, 0]


def test_round_robin_takes_one_per_group_before_any_second():
    codes = np.zeros(9, dtype=np.int64)
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2])
    for seed in range(50):
        picked = groups[round_robin(codes, groups, 3, np.random.default_rng(seed))]
        assert sorted(picked.tolist()) == [0, 1, 2]
        per_group = np.bincount(groups[round_robin(codes, groups, 5, np.random.default_rng(seed))])
        assert per_group.sum() == 5 and sorted(per_group.tolist()) == [1, 2, 2]


def test_round_robin_visits_groups_in_uniform_random_order():
    codes = np.zeros(6, dtype=np.int64)
    groups = np.array([0, 1, 1, 2, 2, 2])
    first = np.zeros(3, dtype=np.int64)
    for seed in range(3000):
        first[groups[round_robin(codes, groups, 1, np.random.default_rng(seed))]] += 1
    assert chisquare(first).pvalue > 0.001  # a group's size does not matter, only its existence


# s_pos = 1.0; gaps 0.0 .. 0.9 for n0..n9, so 10 bins of width 0.09 hold one candidate each,
# except that a 4-bin split puts n0-n2 | n3-n4 | n5-n6 | n7-n9 together.
POOL = hand_pool([("a", "p", 1, 1, 1.0)] + [("a", f"n{i}", 0, i + 2, 1.0 - i / 10) for i in range(10)],
                 cluster=[0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2])


def test_gap_balance_spreads_negatives_over_the_margin_bins():
    bins = {"n0": 0, "n1": 0, "n2": 0, "n3": 1, "n4": 1, "n5": 2, "n6": 2, "n7": 3, "n8": 3, "n9": 3}
    for seed in range(30):
        picked = chosen(POOL, create("cluster_balanced", num_bins=4, balance="gap", num_negatives=4)
                        .select(POOL, np.random.default_rng(seed)))["a"]
        assert sorted(bins[d] for d in picked) == [0, 1, 2, 3]


def test_cluster_balance_uses_the_cluster_column_when_present():
    for seed in range(30):
        picked = chosen(POOL, create("cluster_balanced", num_negatives=3)
                        .select(POOL, np.random.default_rng(seed)))["a"]
        clusters = {f"n{i}": c for i, c in enumerate([0, 0, 0, 0, 0, 0, 0, 1, 1, 2])}
        assert sorted(clusters[d] for d in picked) == [0, 1, 2]

"""random, top_k and star on hand-checked pools."""

from __future__ import annotations

import numpy as np
from conftest import chosen, hand_pool
from scipy.stats import chisquare

from analysis.strategies import create

# Query a: positive d1 at rank 3; negatives by rank d2 (0.8), d3 (0.7), d4 (0.6, tie), d5 (0.6), d6.
POOL = hand_pool([("a", "d2", 0, 1, 0.8), ("a", "d3", 0, 2, 0.7), ("a", "d1", 1, 3, 0.65),
                  ("a", "d4", 0, 4, 0.6), ("a", "d5", 0, 5, 0.6), ("a", "d6", 0, 6, 0.1),
                  ("b", "d7", 1, 1, 0.9), ("b", "d8", 0, 2, 0.2)])


def test_top_k_takes_the_best_scores_and_breaks_ties_by_rank():
    selection = create("top_k", num_negatives=3).select(POOL, np.random.default_rng(0))
    assert chosen(POOL, selection) == {"a": ["d2", "d3", "d4"], "b": ["d8"]}


def test_top_k_orders_by_score_even_when_ranks_disagree():
    pool = hand_pool([("a", "d1", 0, 1, 0.2), ("a", "d2", 0, 2, 0.9), ("a", "d3", 0, 3, 0.5),
                      ("a", "d0", 1, 4, 0.95)])
    selection = create("top_k", num_negatives=2).select(pool, np.random.default_rng(0))
    assert chosen(pool, selection) == {"a": ["d2", "d3"]}  # listed by rank, chosen by score


def test_unscored_candidates_are_counted_not_ranked():
    pool = hand_pool([("a", "d1", 1, 1, 0.9), ("a", "d2", 0, 2, np.nan), ("a", "d3", 0, 3, 0.1)])
    selection = create("top_k", num_negatives=2).select(pool, np.random.default_rng(0))
    assert chosen(pool, selection) == {"a": ["d3"]}
    assert [(f.rule, f.removed) for f in selection.report.filters] == [("no score (NaN)", 1)]


def test_random_is_uniform_over_the_non_positives():
    counts = {d: 0 for d in ["d2", "d3", "d4", "d5", "d6"]}
    draws = 4000
    for seed in range(draws):
        for did in chosen(POOL, create("random", num_negatives=2).select(
                POOL, np.random.default_rng(seed)))["a"]:
            counts[did] += 1
    observed = np.array(list(counts.values()))
    assert observed.sum() == 2 * draws
    assert chisquare(observed).pvalue > 0.001


def test_star_mixes_the_hardest_with_random_others():
    seen = set()
    for seed in range(200):
        picked = chosen(POOL, create("star", num_negatives=3, hard_fraction=0.34).select(
            POOL, np.random.default_rng(seed)))["a"]
        assert len(picked) == 3 and "d2" in picked  # round(0.34 * 3) = 1 hard negative: d2
        seen.update(picked)
    assert seen == {"d2", "d3", "d4", "d5", "d6"}


def test_star_fills_with_random_when_the_hard_part_runs_short():
    selection = create("star", num_negatives=4, hard_fraction=1.0).select(POOL, np.random.default_rng(0))
    assert chosen(POOL, selection)["a"] == ["d2", "d3", "d4", "d5"]
    assert selection.report.short.to_dict("records") == [{"qid": "b", "found": 1}]

"""range and margin on hand-checked pools (the real-data exactness tests are separate)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import chosen, hand_pool

from analysis.model import DataError
from analysis.strategies import create

# Query a: two positives (p1 at rank 2, score 0.80; p2 at rank 5, score 0.70, so s_pos = 0.70).
POOL = hand_pool([
    ("a", "n1", 0, 1, 0.85), ("a", "p1", 1, 2, 0.80), ("a", "n2", 0, 3, 0.72),
    ("a", "n3", 0, 4, 0.71), ("a", "p2", 1, 5, 0.70), ("a", "n4", 0, 6, 0.66),
    ("a", "n5", 0, 7, 0.64), ("a", "n6", 0, 8, 0.50), ("a", "n7", 0, 9, 0.30),
    ("b", "q1", 1, 1, 0.60), ("b", "m1", 0, 2, 0.59), ("b", "m2", 0, 3, 0.40),
    ("b", "m3", 0, 4, 0.20),
])


def select(name, **params):
    return chosen(POOL, create(name, **params).select(POOL, np.random.default_rng(0)))


def test_range_counts_non_positives_or_raw_ranks():
    assert select("range", range_min=1, range_max=4, sampling="top", num_negatives=9) == {
        "a": ["n2", "n3", "n4"], "b": ["m2", "m3"]}
    # raw ranks 2..4 (0-based positions 1..3): p1 is there but never chosen
    assert select("range", range_min=1, range_max=4, sampling="top", count="raw",
                  num_negatives=9) == {"a": ["n2", "n3"], "b": ["m1", "m2", "m3"]}


def test_range_random_samples_inside_the_range_only():
    seen = set()
    for seed in range(100):
        picked = chosen(POOL, create("range", range_min=2, range_max=5, num_negatives=2)
                        .select(POOL, np.random.default_rng(seed)))
        assert len(picked["a"]) == 2 and set(picked["a"]) <= {"n3", "n4", "n5"}
        seen.update(picked["a"])
    assert seen == {"n3", "n4", "n5"}


def test_margin_filters_in_order_with_sequential_counts():
    selection = create("margin", absolute_margin=0.05, max_score=0.6, num_negatives=2,
                       range_max=8).select(POOL, np.random.default_rng(0))
    # window: raw ranks <= 8 + 2 (all); absolute: remove s + 0.05 > s_pos (a: 0.70, b: 0.60),
    # i.e. n1 n2 n3 n4 and m1; then max_score removes n5 (0.64)
    steps = [(f.name, f.removed, f.candidates) for f in selection.report.filters]
    assert steps == [("absolute_margin", 5, 10), ("max_score", 1, 5)]
    assert chosen(POOL, selection) == {"a": ["n6", "n7"], "b": ["m2", "m3"]}
    # sentence-transformers' percentage: over every window cell, 2 queries x (8 + 2) = 20
    assert selection.report.lines()[0] == \
        "Skipped 5 potential negatives (25.00%) due to the absolute_margin of 0.05."
    assert selection.report.lines()[1] == \
        "Skipped 1 potential negatives (6.67%) due to the max_score of 0.6."  # 1 / (20 - 5)


def test_margin_relative_uses_the_absolute_value_of_s_pos():
    pool = hand_pool([("a", "p", 1, 3, -0.2), ("a", "n1", 0, 1, 0.1), ("a", "n2", 0, 2, -0.205),
                      ("a", "n3", 0, 4, -0.22)])
    # threshold = -0.2 - 0.2 * 0.05 = -0.21: n1, n2 removed
    selection = create("margin", relative_margin=0.05, num_negatives=1).select(pool, np.random.default_rng(0))
    assert chosen(pool, selection) == {"a": ["n3"]}


def test_margin_range_min_counts_surviving_candidates():
    # window raw ranks <= 6 + 2 (n1..n6); relative 0.05 of s_pos 0.70 removes s > 0.665:
    # n1 n2 n3; survivors n4 n5 n6, and range_min=1 skips n4, the first *survivor*
    assert select("margin", relative_margin=0.05, range_min=1, range_max=6, num_negatives=2) == {
        "a": ["n5", "n6"], "b": ["m3"]}
    # range_max also bounds the window: ranks <= 4 + 2 leave n4 alone, skipped by range_min
    assert select("margin", relative_margin=0.05, range_min=1, range_max=4, num_negatives=2) == {
        "b": ["m3"]}


def test_margin_derives_range_max_and_a_window_as_sentence_transformers():
    strategy = create("margin", num_negatives=2, relative_margin=0.1)
    assert strategy.effective_range_max(2) == 0 + 2 * 10 + 2
    assert create("margin", num_negatives=2, range_min=3).effective_range_max(2) == 3 + 2 + 2
    # no filter: range_max = 0 + 1 + 2, window = raw ranks <= 5: n1 n2 n3 only
    assert select("margin", num_negatives=1) == {"a": ["n1"], "b": ["m1"]}
    selection = create("margin", num_negatives=3, range_max=3).select(POOL, np.random.default_rng(0))
    assert chosen(POOL, selection)["a"] == ["n1", "n2", "n3"]
    assert selection.report.notes == ()


def test_margin_validates_like_sentence_transformers():
    with pytest.raises(DataError, match="only 2 positions"):
        create("margin", range_min=3, range_max=5, num_negatives=3)
    with pytest.raises(DataError, match="range_min"):
        create("margin", range_min=5, range_max=5)
    unranked = hand_pool([("a", "p", 1, 0, 0.5), ("a", "n", 0, 0, 0.4)])
    with pytest.raises(DataError, match="raw rank"):
        create("margin").select(unranked, np.random.default_rng(0))


def test_margin_reports_a_window_deeper_than_the_pool():
    selection = create("margin", num_negatives=20).select(POOL, np.random.default_rng(0))
    assert "reaches raw rank 24 (range_max=22 + 2 positives at most) but the pool only " \
           "reaches rank 9" in selection.report.notes[0]

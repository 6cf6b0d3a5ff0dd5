"""Segment operations against brute force, and Gumbel-top-k against its sampling law."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from analysis.strategies.segments import (
    count_before,
    descending_rank,
    gumbel_top_k,
    position_in_segment,
    segment_starts,
    top_k_mask,
)


def test_segment_starts_and_positions():
    codes = np.array([0, 0, 0, 2, 2, 5])
    assert segment_starts(codes).tolist() == [0, 3, 5]
    assert position_in_segment(codes).tolist() == [0, 1, 2, 0, 1, 0]
    assert segment_starts(np.array([], dtype=np.int64)).tolist() == []


def test_count_before_counts_masked_rows_of_the_same_segment():
    codes = np.array([0, 0, 0, 0, 1, 1, 1])
    mask = np.array([True, False, True, True, False, True, True])
    assert count_before(codes, mask).tolist() == [0, 1, 1, 2, 0, 0, 1]


def brute_rank(codes, key):
    out = np.empty(len(codes), dtype=np.int64)
    for c in np.unique(codes):
        rows = np.flatnonzero(codes == c)
        ordered = sorted(rows, key=lambda r: (-(key[r] if not np.isnan(key[r]) else -np.inf), r))
        for position, r in enumerate(ordered):
            out[r] = position
    return out


@pytest.mark.parametrize("lengths", [[5, 3, 7, 1], [2, 2, 400]], ids=["dense", "lexsort"])
def test_descending_rank_matches_brute_force_with_ties_and_nan(lengths):
    rng = np.random.default_rng(3)
    codes = np.repeat(np.arange(len(lengths)), lengths)
    key = rng.integers(0, 4, len(codes)).astype(float)  # many ties
    key[rng.random(len(codes)) < 0.2] = np.nan
    key[0] = -np.inf
    assert descending_rank(codes, key).tolist() == brute_rank(codes, key).tolist()


def test_descending_rank_of_sorted_rows_is_their_position():
    codes = np.array([0, 0, 0, 1, 1])
    assert descending_rank(codes, np.array([3.0, 2.0, 2.0, 9.0, 1.0])).tolist() == [0, 1, 2, 0, 1]


def test_top_k_mask_takes_per_segment_limits_and_skips_minus_infinity():
    codes = np.array([0, 0, 0, 1, 1, 1])
    key = np.array([0.1, 0.9, 0.5, -np.inf, 0.2, 0.3])
    k = np.array([2, 2, 2, 5, 5, 5])
    assert top_k_mask(codes, key, k).tolist() == [False, True, True, False, True, True]
    assert top_k_mask(codes, key, 1).tolist() == [False, True, False, False, False, True]


def test_gumbel_top_k_never_draws_zero_weight_and_is_seeded():
    codes = np.zeros(6, dtype=np.int64)
    with np.errstate(divide="ignore"):
        logw = np.log(np.array([1.0, 0.0, 2.0, 0.0, 3.0, 1.0]))
    draws = [gumbel_top_k(codes, logw, 10, np.random.default_rng(s)) for s in range(20)]
    assert all(d.tolist() == [True, False, True, False, True, True] for d in draws)
    one = gumbel_top_k(codes, np.zeros(6), 2, np.random.default_rng(7))
    assert one.tolist() == gumbel_top_k(codes, np.zeros(6), 2, np.random.default_rng(7)).tolist()


def test_gumbel_top_k_follows_successive_sampling_without_replacement():
    """P(first two draws = {i, j}) under Plackett-Luce, checked by chi-square over 20,000 draws."""
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    total = weights.sum()
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    expected = np.array([weights[i] / total * weights[j] / (total - weights[i])
                         + weights[j] / total * weights[i] / (total - weights[j]) for i, j in pairs])
    draws = 20_000
    codes = np.repeat(np.arange(draws), 4)
    mask = gumbel_top_k(codes, np.tile(np.log(weights), draws), 2, np.random.default_rng(11))
    picked = np.flatnonzero(mask).reshape(draws, 2) % 4
    index = {p: n for n, p in enumerate(pairs)}
    observed = np.bincount([index[(a, b)] for a, b in picked], minlength=len(pairs))
    assert chisquare(observed, expected * draws).pvalue > 0.001


def test_partition_top_k_breaks_ties_like_the_full_ranking():
    from analysis.strategies.segments import _partition_top_k_mask

    rng = np.random.default_rng(5)
    codes = np.repeat(np.arange(300), rng.integers(1, 12, 300))
    key = rng.integers(0, 3, len(codes)).astype(float)  # ties everywhere
    key[rng.random(len(codes)) < 0.2] = -np.inf
    key[rng.random(len(codes)) < 0.1] = np.nan
    for k in (1, 2, 4, 20):
        assert _partition_top_k_mask(codes, key, k).tolist() == top_k_mask(codes, key, k).tolist()

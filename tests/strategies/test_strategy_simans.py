"""SimANS draws follow p ∝ exp(-a (s - s_pos - b)^2): a chi-square test over seeded draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import hand_pool
from scipy.stats import chisquare

from analysis.strategies import create

# Three query shapes (s_pos, negative scores); each repeated COPIES times under its own qid.
SHAPES = [
    (0.70, [0.82, 0.71, 0.66, 0.60, 0.52, 0.41, 0.30]),
    (0.55, [0.56, 0.50, 0.49, 0.45, 0.20]),
    (0.80, [0.95, 0.79, 0.78, 0.60]),
]
COPIES, SEEDS = 400, 5


def shaped_pool():
    rows = []
    for shape, (s_pos, negatives) in enumerate(SHAPES):
        for copy in range(COPIES):
            qid = f"s{shape}c{copy}"
            rows.append((qid, f"pos{shape}", 1, 1, s_pos))
            rows += [(qid, f"neg{shape}_{i}", 0, i + 2, s) for i, s in enumerate(negatives)]
    return hand_pool(rows)


def expected(s_pos, negatives, a, b):
    """The README formula, written out by hand."""
    weights = [math.exp(-a * (s - s_pos - b) ** 2) for s in negatives]
    return np.array(weights) / sum(weights)


@pytest.mark.parametrize("a,b", [(40.0, 0.0), (150.0, 0.05), (0.5, 0.0)])
def test_single_draw_frequencies_match_the_formula(a, b):
    pool = shaped_pool()
    strategy = create("simans", a=a, b=b, num_negatives=1)
    counts = {shape: np.zeros(len(neg), dtype=np.int64) for shape, (_, neg) in enumerate(SHAPES)}
    for seed in range(SEEDS):
        picked = strategy.select(pool, np.random.default_rng(seed)).pairs(pool)
        assert len(picked) == COPIES * len(SHAPES)
        for did in picked["did"].astype(str):
            shape, index = did[3:].split("_")
            counts[int(shape)][int(index)] += 1
    for shape, (s_pos, negatives) in enumerate(SHAPES):
        observed = counts[shape]
        probabilities = expected(s_pos, negatives, a, b)
        assert chisquare(observed, probabilities * observed.sum()).pvalue > 0.001, (shape, observed)


def test_b_follows_the_readme_sign():
    """b > 0 favours negatives scored b above the positive (the release's code would invert it)."""
    pool = hand_pool([("q", "pos", 1, 3, 0.5), ("q", "above", 0, 1, 0.6), ("q", "below", 0, 4, 0.4),
                      ("q", "far", 0, 2, 0.9)])
    picks = [create("simans", a=200.0, b=0.1, num_negatives=1).select(pool, np.random.default_rng(s))
             .pairs(pool)["did"].iloc[0] for s in range(200)]
    assert picks.count("above") > 190


def test_more_negatives_than_candidates_takes_them_all_and_reports_the_shortfall():
    pool = hand_pool([("q", "pos", 1, 1, 0.5), ("q", "n1", 0, 2, 0.4), ("q", "n2", 0, 3, 0.1)])
    selection = create("simans", num_negatives=5).select(pool, np.random.default_rng(0))
    assert sorted(selection.pairs(pool)["did"].astype(str)) == ["n1", "n2"]
    assert selection.report.num_short == 1


def test_default_a_comes_from_the_pools_spread_and_prefers_ambiguous_negatives():
    """One query per shape: the spreads of SHAPES' candidate scores; a = 2 / median sd^2."""
    pool = hand_pool([(f"s{shape}", f"pos{shape}", 1, 1, s_pos) for shape, (s_pos, _) in enumerate(SHAPES)]
                     + [(f"s{shape}", f"neg{shape}_{i}", 0, i + 2, s)
                        for shape, (_, negatives) in enumerate(SHAPES) for i, s in enumerate(negatives)])
    spread = float(np.median([np.std(negatives) for _, negatives in SHAPES]))
    selection = create("simans", num_negatives=1).select(pool, np.random.default_rng(0))
    assert create("simans").a is None
    assert any(f"a = {2 / spread ** 2:.4g}" in note for note in selection.report.notes)
    # Far sharper than the release's 0.5 on cosine-like scores: the closest negative of shape 0
    # (0.71 vs s_pos 0.70) is far likelier than the farthest (0.30), which 0.5 barely separates.
    sharp = expected(0.70, SHAPES[0][1], 2 / spread ** 2, 0.0)
    flat = expected(0.70, SHAPES[0][1], 0.5, 0.0)
    assert sharp[1] / sharp[-1] > 100 and flat[1] / flat[-1] < 1.1
    assert create("simans", a=0.5).a == 0.5

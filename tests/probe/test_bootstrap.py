"""Paired bootstrap intervals: hand-checked distributions, seed resampling, validation."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.model import DataError
from analysis.probe.bootstrap import paired_bootstrap


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_constant_difference_gives_a_point_interval():
    a = np.array([0.5, 0.7, 0.2, 0.9])
    interval = paired_bootstrap(a, a - 0.1, rng=rng())
    assert interval.mean == pytest.approx(0.1)
    assert interval.low == pytest.approx(0.1) and interval.high == pytest.approx(0.1)
    assert not interval.within_noise and interval.verdict() == "better"


def test_identical_models_are_within_noise():
    a = np.array([0.1, 0.4, 0.8])
    interval = paired_bootstrap(a, a.copy(), rng=rng())
    assert (interval.mean, interval.low, interval.high) == (0.0, 0.0, 0.0)
    assert interval.within_noise and interval.verdict() == "within noise"


def test_two_queries_hand_checked_distribution():
    # differences +1 and -1: a resample's mean is -1, 0 or +1 with chances 1/4, 1/2, 1/4,
    # so the 2.5% and 97.5% quantiles are -1 and +1
    interval = paired_bootstrap([1.0, 0.0], [0.0, 1.0], rng=rng(), resamples=4000)
    assert interval.mean == 0.0
    assert (interval.low, interval.high) == (-1.0, 1.0)
    assert interval.within_noise


def test_width_matches_the_normal_approximation():
    gen = np.random.default_rng(7)
    diff = gen.normal(0.02, 0.1, size=400)
    interval = paired_bootstrap(diff, np.zeros(400), rng=rng(1), resamples=4000)
    se = diff.std() / np.sqrt(len(diff))             # the bootstrap's plug-in standard error
    assert interval.high - interval.low == pytest.approx(2 * 1.959964 * se, rel=0.08)
    assert interval.low < interval.mean < interval.high


def test_a_clear_loss_is_worse():
    a = np.linspace(0.2, 0.6, 50)
    interval = paired_bootstrap(a - 0.05 + 0.01 * np.sin(np.arange(50)), a, rng=rng())
    assert interval.high < 0 and interval.verdict() == "worse"


def test_seed_noise_widens_the_interval():
    # seed 0 is +1 better on every query, seed 1 is 1 worse: averaged over seeds the
    # difference is 0 on each query, but resampling seeds shows means of -1, 0 and +1
    a = np.array([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]])
    b = np.zeros(3)
    interval = paired_bootstrap(a, b, rng=rng(), resamples=4000)
    assert interval.seeds == 2 and interval.queries == 3
    assert (interval.low, interval.high) == (-1.0, 1.0)
    flat = paired_bootstrap(a.mean(axis=0), b, rng=rng())
    assert (flat.low, flat.high) == (0.0, 0.0)


def test_seed_pairing_uses_matching_rows():
    a = np.array([[0.5, 0.6], [0.7, 0.8]])
    b = np.array([[0.4, 0.5], [0.6, 0.7]])
    interval = paired_bootstrap(a, b, rng=rng())
    assert interval.mean == pytest.approx(0.1)
    assert interval.low == pytest.approx(0.1) and interval.high == pytest.approx(0.1)


def test_same_generator_state_same_interval():
    a, b = np.random.default_rng(3).random((2, 30))
    first = paired_bootstrap(a, b, rng=rng(5), resamples=500)
    second = paired_bootstrap(a, b, rng=rng(5), resamples=500)
    other = paired_bootstrap(a, b, rng=rng(6), resamples=500)
    assert first == second
    assert (first.low, first.high) != (other.low, other.high)


def test_as_dict_carries_the_verdict():
    out = paired_bootstrap([0.3, 0.5], [0.1, 0.2], rng=rng()).as_dict()
    assert out["verdict"] == "better" and out["within_noise"] is False
    assert set(out) >= {"mean", "low", "high", "confidence", "queries", "seeds", "resamples"}


@pytest.mark.parametrize("a, b, options, field", [
    ([0.1, 0.2], [0.1], {}, "b"),
    ([], [], {}, "a"),
    ([0.1, np.nan], [0.1, 0.2], {}, "a"),
    ([[0.1, 0.2]] * 3, [[0.1, 0.2]] * 2, {}, "b"),
    ([0.1], [0.2], {"resamples": 0}, "resamples"),
    ([0.1], [0.2], {"confidence": 1.0}, "confidence"),
])
def test_bad_input_names_the_field(a, b, options, field):
    with pytest.raises(DataError) as err:
        paired_bootstrap(a, b, rng=rng(), **options)
    assert err.value.field == field


def test_rng_must_be_a_generator():
    with pytest.raises(DataError, match="Generator"):
        paired_bootstrap([0.1], [0.2], rng=0)

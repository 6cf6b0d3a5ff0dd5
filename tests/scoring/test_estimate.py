"""The estimate before a pool build: texts x a rate this machine measured (issue 15)."""

from __future__ import annotations

import pytest

from analysis.scoring.estimate import DEFAULT_RATE, estimate_build, record_rate


def test_before_any_build_the_default_rate_is_used_and_said_to_be_unmeasured(tmp_path):
    est = estimate_build(1800, cache_dir=tmp_path)
    assert (est.texts, est.rate_per_s, est.measured) == (1800, DEFAULT_RATE, False)
    assert est.minutes == pytest.approx(1800 / DEFAULT_RATE / 60)
    assert "encodes 1,800 texts, about 1 min" in est.describe() and "not yet measured" in est.describe()


def test_a_recorded_build_sets_the_rate_per_engine_and_survives_a_bad_file(tmp_path):
    assert record_rate("local", 1200, 60.0, cache_dir=tmp_path) == 20.0
    est = estimate_build(12_000, cache_dir=tmp_path)
    assert est.measured and est.rate_per_s == 20.0 and est.minutes == pytest.approx(10.0)
    assert "about 10 min" in est.describe() and "measured on this machine" in est.describe()
    assert not estimate_build(10, engine="ray", cache_dir=tmp_path).measured
    (tmp_path / "rates.json").write_text("{not json")
    assert not estimate_build(10, cache_dir=tmp_path).measured  # unreadable: default, no crash


def test_time_left_extrapolates_the_progress_so_far():
    from analysis.scoring.estimate import time_left

    assert time_left(0, 100, 5.0) == "estimating time left"
    assert time_left(10, 100, 0.5) == "estimating time left"  # too early to tell
    assert time_left(50, 100, 30.0) == "about 30 s left"
    assert time_left(4_096, 100_000, 120.0) == "about 47 min left"
    assert time_left(1_000, 100_000, 300.0) == "about 8.2 h left"
    assert time_left(100, 100, 30.0) == "finishing"

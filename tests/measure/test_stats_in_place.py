"""``describe`` partitions its own copy in place; every statistic equals numpy's on the input
as given (bit for bit), and the caller's array is left as it was."""

import numpy as np
import pytest

from analysis.measure.stats import describe


@pytest.mark.parametrize("n", [2, 3, 7, 1000, 100_001])
def test_describe_equals_numpy_and_leaves_the_input_alone(n):
    rng = np.random.default_rng(n)
    values = rng.normal(size=n)
    values[::13] = np.nan
    given = values.copy()
    got = describe(values)
    np.testing.assert_array_equal(values, given)
    known = given[~np.isnan(given)]
    q = np.quantile(known, [0.25, 0.5, 0.75])
    want = {"Count": len(known), "Mean": known.mean(), "Min": known.min(), "Max": known.max(),
            "Std": known.std(ddof=1) if len(known) > 1 else np.nan,
            "Median": np.sort(known)[(len(known) - 1) // 2], "25%": q[0], "50%": q[1], "75%": q[2]}
    for metric, value in want.items():
        assert got[metric] == value or (np.isnan(value) and np.isnan(got[metric])), metric
    assert list(got) == ["Count", "Mean", "Median", "Std", "Min", "25%", "50%", "75%", "Max"]

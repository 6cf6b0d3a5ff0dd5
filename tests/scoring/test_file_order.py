"""The file rank's one-key stable sort orders rows exactly as the four-key lexsort it replaced:
by query, scored first, score descending, ties (and -0.0 against 0.0) in file order."""

import numpy as np
import pytest

from analysis.scoring.file_rank import _file_order


@pytest.mark.parametrize("seed", range(5))
def test_the_one_key_sort_is_the_lexsort(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    qcode = rng.integers(0, 300, n).astype(np.int32)
    score = rng.choice(np.array([0.5, -0.0, 0.0, -1.25, 3.0, np.nan, 1e-30, -1e30], np.float32), n)
    score[::7] = rng.normal(size=len(score[::7])).astype(np.float32)
    wide = score.astype(np.float64)
    expected = np.lexsort((np.arange(n), -np.nan_to_num(wide, nan=-np.inf), np.isnan(wide), qcode))
    np.testing.assert_array_equal(_file_order(qcode, score), expected)

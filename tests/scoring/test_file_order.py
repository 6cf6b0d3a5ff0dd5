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


@pytest.mark.parametrize("grouped", [True, False])
def test_blocks_cut_at_query_boundaries_give_the_same_order(grouped):
    rng = np.random.default_rng(11)
    qcode = np.sort(rng.integers(0, 400, 20_000)).astype(np.int32)
    if not grouped:
        qcode = rng.permutation(qcode)
    score = rng.choice(np.array([0.25, 0.5, np.nan, -0.0, 0.0], np.float32), len(qcode))
    np.testing.assert_array_equal(_file_order(qcode, score, block=997), _file_order(qcode, score))
    wide = score.astype(np.float64)
    expected = np.lexsort((np.arange(len(qcode)), -np.nan_to_num(wide, nan=-np.inf),
                           np.isnan(wide), qcode))
    np.testing.assert_array_equal(_file_order(qcode, score, block=997), expected)

"""PoolView: sorting, candidate rows, and positive scores equal to analysis.measure.gaps'."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hand_pool

from analysis.measure.gaps import positive_scores
from analysis.model import DataError
from analysis.scoring.synthetic import make_pool
from analysis.strategies.view import PoolView


@pytest.mark.parametrize("how", ["min", "mean", "max"])
def test_positive_score_follows_the_gaps_rule(how):
    pool = hand_pool([("a", "p1", 1, 1, 0.9), ("a", "p2", 1, 3, 0.5), ("a", "n", 0, 2, 0.7),
                      ("b", "p3", 1, 1, np.nan), ("b", "n", 0, 2, 0.2), ("c", "n", 0, 1, 0.1),
                      ("d", "p1", 1, 2, 0.4), ("d", "p4", 1, 1, np.nan)])
    view = PoolView.of(pool)
    expected = positive_scores(pool.pairs, how=how)[pool.pairs["qid"].cat.codes.to_numpy()]
    got = np.empty(len(view.rows), dtype=np.float32)
    got[view.rows] = view.positive_score(how)
    np.testing.assert_array_equal(got, expected.astype(np.float32))


def test_unsorted_pools_are_viewed_by_query_then_rank():
    pool = make_pool(num_queries=30, pool_size=10, seed=2)
    shuffled = pool.with_pairs(pool.pairs.sample(frac=1.0, random_state=1))
    view = PoolView.of(shuffled)
    pairs = shuffled.pairs.iloc[view.rows]
    assert (np.diff(pairs["qid"].cat.codes.to_numpy().astype(int) * 1000 + pairs["rank"].to_numpy()) > 0).all()
    assert np.array_equal(view.score, pairs["score"].to_numpy())


def test_a_pool_with_the_mined_file_beside_it_samples_pool_rows_only():
    pool = hand_pool([("a", "p", 1, 1, 0.9), ("a", "n1", 0, 2, 0.5), ("a", "n2", 0, 3, 0.4)])
    pairs = pool.pairs.assign(source="pool")
    mined = pairs.iloc[[0, 2]].assign(source="mined.jsonl")
    both = pool.with_pairs(__import__("pandas").concat([mined, pairs], ignore_index=True))
    view = PoolView.of(both)
    assert view.rows.tolist() == [2, 3, 4]
    bad = pool.with_pairs(pairs.assign(source=["x", "y", "y"]))
    with pytest.raises(DataError, match="one source"):
        PoolView.of(bad)

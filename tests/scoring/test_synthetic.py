"""Synthetic pools: valid data-model tables, ranks that agree with scores, realistic scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.measure.gaps import with_gaps
from analysis.model import DataError, NegativeSet
from analysis.scoring.synthetic import make_pool


def test_a_valid_negative_set_with_cluster_labels():
    pool = make_pool(num_queries=60, pool_size=25, seed=3, positives_per_query=3, num_clusters=5)
    assert isinstance(pool, NegativeSet) and pool.format == "synthetic"
    assert len(pool.queries) == 60 and pool.num_positives == 180
    assert pool.pairs["cluster"].between(0, 4).all()
    assert pool.meta["seed"] == 3


def test_pool_shape_ranks_and_positives():
    n = 40
    pool = make_pool(num_queries=500, pool_size=n, seed=1, positives_per_query=2)
    pairs = pool.pairs
    assert set(pairs["source"]) == {"pool"}
    assert pairs.groupby("qid", observed=True)["rank"].apply(lambda r: (r <= n).sum()).eq(n).all()
    assert (pairs.groupby("qid", observed=True)["label"].sum() == 2).all()
    assert not pairs.duplicated(["qid", "did"]).any()
    assert not pairs.duplicated(["qid", "rank"]).any()
    ordered = pairs.sort_values(["qid", "rank"])
    same_query = ordered["qid"].to_numpy()[1:] == ordered["qid"].to_numpy()[:-1]
    assert (np.diff(ordered["score"].to_numpy())[same_query] <= 0).all()  # ranks follow scores
    assert ((pairs["label"] == 1) | (pairs["rank"] <= n)).all()
    beyond = pairs[pairs["rank"] > n]
    assert (beyond["label"] == 1).all() and len(beyond) > 0


def test_compact_dtypes():
    pairs = make_pool(num_queries=2000, pool_size=50, seed=0).pairs
    assert {c: str(t) for c, t in pairs.dtypes.items()} == {
        "qid": "category", "did": "category", "label": "int8", "source": "category",
        "rank": "int32", "score": "float32"}
    assert pairs.memory_usage(deep=True).sum() / len(pairs) < 30


def test_score_distributions_look_like_a_cosine_retriever():
    pairs = with_gaps(make_pool(num_queries=3000, pool_size=50, seed=2).pairs)
    positives = pairs.loc[pairs["label"] == 1, "score"]
    assert positives.mean() == pytest.approx(0.7, abs=0.01)
    assert positives.std() == pytest.approx(0.08, abs=0.01)
    negatives = pairs[pairs["label"] == 0]
    assert negatives["score"].between(-1, 1).all()
    above = (negatives.groupby("qid", observed=True)["gap"].min() < 0).mean()
    assert 0.05 < above < 0.5  # some queries have false-negative-like candidates, most do not
    top = negatives[negatives["rank"] <= 2]["score"].mean()
    assert top > negatives["score"].mean() + 0.05


def test_same_seed_same_pool():
    a, b = make_pool(num_queries=50, pool_size=10, seed=9), make_pool(num_queries=50, pool_size=10, seed=9)
    pd.testing.assert_frame_equal(a.pairs, b.pairs)
    c = make_pool(num_queries=50, pool_size=10, seed=10)
    assert not a.pairs["score"].equals(c.pairs["score"])


@pytest.mark.parametrize("kwargs, field", [
    (dict(num_queries=0), "num_queries"), (dict(pool_size=2.5), "pool_size"),
    (dict(num_docs=5, pool_size=10), "num_docs"), (dict(num_clusters=0), "num_clusters"),
])
def test_bad_arguments_raise_located_errors(kwargs, field):
    with pytest.raises(DataError) as err:
        make_pool(**kwargs)
    assert err.value.field == field

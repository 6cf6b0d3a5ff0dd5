"""The query sample chosen by codes is the sample chosen by ids (the way it was computed
before): same queries, docs and pairs, on pairs in any order and docs shared across queries."""

import numpy as np
import pandas as pd
import pytest

from analysis.measure.query_sample import sample_queries
from analysis.model import NegativeSet
from analysis.scoring.synthetic import make_pool


def by_ids(nset, n, seed):
    chosen = np.sort(np.random.default_rng(seed).choice(len(nset.queries), size=n, replace=False))
    qids = nset.queries["qid"].iloc[chosen]
    pairs = nset.pairs[nset.pairs["qid"].isin(qids).to_numpy()].reset_index(drop=True)
    used = np.zeros(len(nset.docs), dtype=bool)
    used[pairs["did"].cat.codes.to_numpy()] = True
    return NegativeSet(nset.queries.iloc[chosen], nset.docs[used], pairs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_sample_by_codes_is_the_sample_by_ids(seed):
    pool = make_pool(num_queries=50, pool_size=12, num_docs=90, seed=seed)
    shuffled = pool.with_pairs(pool.pairs.sample(frac=1.0, random_state=seed).reset_index(drop=True))
    for nset in (pool, shuffled):
        got, want = sample_queries(nset, 9, seed=seed), by_ids(nset, 9, seed)
        pd.testing.assert_frame_equal(got.queries, want.queries)
        pd.testing.assert_frame_equal(got.docs, want.docs)
        pd.testing.assert_frame_equal(got.pairs, want.pairs)

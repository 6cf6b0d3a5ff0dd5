"""One selection at a time gives ``summary``'s table and ``overlap``'s matrix exactly."""

import numpy as np
import pandas as pd

from analysis.measure.compare import overlap, summary
from analysis.measure.compare_stream import compare_one_by_one
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create


def test_one_by_one_is_all_at_once():
    pool = make_pool(num_queries=80, pool_size=25, seed=4)
    strategies = {"top_k": create("top_k", num_negatives=5), "random": create("random", num_negatives=5),
                  "range": create("range", num_negatives=3), "simans": create("simans", num_negatives=4)}
    selections = {label: s.select(pool, np.random.default_rng(7)) for label, s in strategies.items()}
    table, jaccard, kept = compare_one_by_one(pool, strategies, seed=7)
    pd.testing.assert_frame_equal(table, summary(pool, selections))
    pd.testing.assert_frame_equal(jaccard, overlap(selections))
    assert [k.report.as_dict() for k in kept.values()] == \
        [s.report.as_dict() for s in selections.values()]
    assert 0 < jaccard.loc["top_k", "random"] < 1

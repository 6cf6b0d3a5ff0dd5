"""``summary`` computes its per-row values for the chosen rows only; every metric equals the one
computed from the whole ``pool_columns`` table, on a sorted pool, a shuffled one (rows out of
``(qid, rank)`` order), one mixed with its file's own pairs, and one without ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.measure.compare import pool_columns, summary
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create


def reference(pool, selections) -> pd.DataFrame:
    columns = pool_columns(pool)
    out = []
    for label, selection in selections.items():
        chosen = columns.iloc[selection.rows]
        record = {"selection": label}
        for col in ("rank", "neg_rank", "gap"):
            known = chosen[col].dropna().to_numpy()
            record[f"mean_{col}"] = known.mean() if len(known) else np.nan
            record[f"median_{col}"] = np.median(known) if len(known) else np.nan
        judged = chosen["s_pos"].notna()
        record["suspect_share"] = chosen.loc[judged, "suspect"].mean() if judged.any() else np.nan
        out.append(record)
    return pd.DataFrame(out)


def shuffled(pool):
    order = np.random.default_rng(3).permutation(len(pool.pairs))
    return pool.with_pairs(pool.pairs.iloc[order].reset_index(drop=True))


def mixed(pool):
    extra = pool.pairs.iloc[::5].assign(source="mined.jsonl")
    return pool.with_pairs(pd.concat([pool.pairs, extra], ignore_index=True))


def unranked(pool):
    return pool.with_pairs(pool.pairs.assign(rank=np.zeros(len(pool.pairs), dtype=np.int32)))


@pytest.mark.parametrize("change", [lambda p: p, shuffled, mixed, unranked],
                         ids=["sorted", "shuffled", "mixed", "unranked"])
def test_summary_equals_the_whole_table_computation(change):
    pool = change(make_pool(num_queries=60, pool_size=30, seed=1))
    names = ["top_k", "random"] + (["range", "simans"] if pool.has_ranks else [])
    selections = {n: create(n, num_negatives=4).select(pool, np.random.default_rng(0))
                  for n in names}
    got = summary(pool, selections)
    want = reference(pool, selections)
    for column in want.columns[1:]:
        np.testing.assert_array_equal(got[column].to_numpy(dtype=float),
                                      want[column].to_numpy(dtype=float), err_msg=column)

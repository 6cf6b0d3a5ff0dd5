"""NV-Retriever's TopK-Abs, TopK-MarginPos and TopK-PercPos on a hand-checked pool."""

from __future__ import annotations

import numpy as np
from conftest import chosen, hand_pool

from analysis.strategies import create

# s_pos(a) = min(0.80, 0.60) = 0.60, mean 0.70, max 0.80
POOL = hand_pool([("a", "n1", 0, 1, 0.90), ("a", "p1", 1, 2, 0.80), ("a", "n2", 0, 3, 0.70),
                  ("a", "p2", 1, 4, 0.60), ("a", "n3", 0, 5, 0.575), ("a", "n4", 0, 6, 0.54),
                  ("a", "n5", 0, 7, 0.50), ("a", "n6", 0, 8, 0.20),
                  ("b", "n1", 0, 1, 0.40), ("b", "n2", 0, 2, 0.30)])


def select(name, **params):
    selection = create(name, **params).select(POOL, np.random.default_rng(0))
    return chosen(POOL, selection), selection.report


def test_topk_abs_keeps_scores_up_to_the_threshold():
    picked, report = select("topk_abs", threshold=0.7, num_negatives=2)
    assert picked == {"a": ["n2", "n3"], "b": ["n1", "n2"]}  # 0.70 <= 0.70 is kept
    assert [(f.name, f.removed) for f in report.filters] == [("threshold", 1)]


def test_topk_marginpos_keeps_scores_strictly_below_s_pos_minus_margin():
    picked, report = select("topk_marginpos", margin=0.05, num_negatives=2)
    assert picked == {"a": ["n4", "n5"]}  # below 0.60 - 0.05; b has no positive
    assert [(f.name, f.removed) for f in report.filters] == [("positive", 2), ("margin", 3)]
    picked, _ = select("topk_marginpos", margin=0.05, positive="max", num_negatives=2)
    assert picked["a"] == ["n2", "n3"]


def test_topk_percpos_keeps_scores_below_a_share_of_s_pos():
    picked, report = select("topk_percpos", percentage=0.95, num_negatives=4)
    # 0.95 * 0.60 = 0.57: n3 (0.575) is not below it
    assert picked == {"a": ["n4", "n5", "n6"]}
    assert report.short.to_dict("records") == [{"qid": "a", "found": 3}, {"qid": "b", "found": 0}]
    assert report.filters[0].rule == "the query has no scored positive"

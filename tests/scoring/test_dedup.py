"""Equal texts are one text (analysis.scoring.dedup), hand-checked on a tiny set."""

from __future__ import annotations

import pandas as pd

from analysis.model import NegativeSet
from analysis.scoring.dedup import merge_equal_texts


def small() -> NegativeSet:
    queries = pd.DataFrame({"qid": ["q1", "q2", "q3"], "text": ["alpha?", "beta?", "alpha?"]})
    docs = pd.DataFrame({"did": ["d1", "d2", "d3", "d4", "d5"],
                         "text": ["A", "B", "A", "C", "B"]})
    pairs = pd.DataFrame({"qid": ["q1", "q2", "q3", "q1"], "did": ["d1", "d4", "d2", "d3"],
                          "label": [1, 1, 1, 0], "source": "qrels"})
    return NegativeSet(queries, docs, pairs)


def test_copies_merge_into_the_first_id_and_a_positive_copy_is_the_positive():
    merged, corpus, counts = merge_equal_texts(small())
    assert counts == {"documents": 2, "positive_copies": 2, "queries": 1}
    assert corpus["did"].tolist() == ["d1", "d2", "d4"]
    assert merged.queries["qid"].tolist() == ["q1", "q2"]
    rows = sorted(map(tuple, merged.pairs[["qid", "did", "label"]].astype(str).to_numpy()))
    # q3 ("alpha?" again) is q1 with q3's positive d2; q1's negative d3 is a copy of its positive
    assert rows == [("q1", "d1", "1"), ("q1", "d2", "1"), ("q2", "d4", "1")]


def test_nothing_to_merge_returns_the_set_itself():
    nset = small().with_pairs(pd.DataFrame({"qid": ["q2"], "did": ["d4"], "label": [1],
                                            "source": "qrels"}))
    plain = NegativeSet(nset.queries.iloc[:2], nset.docs.iloc[[0, 1, 3]], nset.pairs)
    merged, corpus, counts = merge_equal_texts(plain)
    assert merged is plain and counts == {"documents": 0, "positive_copies": 0, "queries": 0}
    assert corpus["did"].tolist() == ["d1", "d2", "d4"]

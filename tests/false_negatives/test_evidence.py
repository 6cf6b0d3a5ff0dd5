"""The evidence table's hand-checkable parts: identity with a positive, cosine to the positive,
and which rows a pool or a file contributes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.false_negatives.evidence import candidate_rows, identity_with_positive, positive_cosine
from analysis.model import NegativeSet


def _rows():
    return pd.DataFrame({"qid": ["a", "a", "a", "b", "b"], "did": ["p", "x", "y", "q", "x"],
                         "label": [1, 0, 0, 1, 0]})


def test_identity_is_normalised_text_equal_to_the_queries_positive():
    text = pd.Series({"p": "Bread, flour & water.", "x": "bread flour water", "y": "bread",
                      "q": "other"})
    # x copies a's positive up to case and punctuation; for query b it is no copy
    np.testing.assert_array_equal(identity_with_positive(_rows(), text), [0, 1, 0, 0, 0])


def test_positive_cosine_is_the_best_cosine_to_the_queries_positives():
    vectors = {"p": np.array([1.0, 0.0]), "x": np.array([0.6, 0.8]), "y": np.array([0.0, 1.0]),
               "q": np.array([0.0, 1.0])}
    np.testing.assert_allclose(positive_cosine(_rows(), vectors), [1.0, 0.6, 0.0, 1.0, 0.8])


def test_candidate_rows_take_pool_rows_and_every_positive():
    queries = pd.DataFrame({"qid": ["a"], "text": ["qa"]})
    docs = pd.DataFrame({"did": ["p", "x", "y"], "text": ["tp", "tx", "ty"]})
    pairs = pd.DataFrame({"qid": ["a", "a", "a", "a"], "did": ["p", "x", "p", "y"],
                          "label": [1, 0, 1, 0], "source": ["file", "pool", "pool", "file"],
                          "rank": [60, 2, 60, 9], "score": [0.5, 0.7, 0.5, 0.6]})
    rows = candidate_rows(NegativeSet(queries, docs, pairs))
    assert sorted(rows["did"]) == ["p", "x"]                 # the file's own negative y is not
    assert bool(rows.set_index("did").loc["p", "in_pool"])   # a positive the pool holds is in it
    file_only = NegativeSet(queries, docs, pairs[pairs["source"] == "file"])
    rows = candidate_rows(file_only)                          # a file's own candidates: all of them
    assert sorted(rows["did"]) == ["p", "y"] and rows["in_pool"].all()

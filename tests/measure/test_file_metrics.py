"""Each measure of the file comparison on hand-checked data (issue 26)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.measure import file_clusters, file_metrics
from analysis.measure.clusters import js_divergence
from analysis.measure.file_match import match_files
from analysis.measure.yardstick import Measured, Spec, candidate_rank, union_rank
from analysis.model import NegativeSet


def nset(queries, docs, pairs, name):
    return NegativeSet(pd.DataFrame(queries, columns=["qid", "text"]),
                       pd.DataFrame(docs, columns=["did", "text"]),
                       pd.DataFrame(pairs, columns=["qid", "did", "label"]).assign(source=name))


@pytest.fixture
def two():
    """q1: positive p1, a: negatives n1 n2, b: negatives n2 n3; q2: positive p2, a: n4, b: n4 n5."""
    qs = [("q1", "first query"), ("q2", "second query")]
    ds = [(d, f"passage {d}") for d in ("p1", "p2", "n1", "n2", "n3", "n4", "n5")]
    a = nset(qs, ds, [("q1", "p1", 1), ("q1", "n1", 0), ("q1", "n2", 0), ("q2", "p2", 1), ("q2", "n4", 0)], "a")
    b = nset(qs, ds, [("q1", "p1", 1), ("q1", "n2", 0), ("q1", "n3", 0), ("q2", "p2", 1), ("q2", "n4", 0),
                      ("q2", "n5", 0)], "b")
    return match_files({"a": a, "b": b})


def measured_with(union, scores: dict) -> Measured:
    """A yardstick from {(qid, did): score} (ids as the hand-built files name them)."""
    p = union.nset.pairs
    qt = union.nset.query_text().to_dict()
    dt = union.nset.doc_text().to_dict()
    score = np.array([scores[(qt[q].split()[0], dt[d].split()[1])] for q, d in zip(p["qid"], p["did"])])
    return Measured(Spec("file", "x"), "hand", "rank", score, candidate_rank(union, score))


def test_overlap_jaccard_over_common_queries(two):
    m = measured_with(two, {("first", "p1"): 0.9, ("first", "n1"): 0.5, ("first", "n2"): 0.4,
                            ("first", "n3"): 0.3, ("second", "p2"): 0.8, ("second", "n4"): 0.6,
                            ("second", "n5"): 0.1})
    cols = file_metrics.candidate_columns(two, m)
    held = {n: np.unique(cols["q"].to_numpy()) for n in two.names}
    table = file_metrics.overlap_table(cols, two.negatives, held)
    row = table.iloc[0]
    # pairs: a {q1n1, q1n2, q2n4}, b {q1n2, q1n3, q2n4, q2n5}: shared 2, all 5
    assert row["jaccard"] == pytest.approx(2 / 5)
    # per query: q1 1/3, q2 1/2
    assert row["mean_query_jaccard"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert file_metrics.only_here(two.negatives, two.names) == {"a": 1, "b": 2}


def test_hardness_gap_rank_and_diversity(two):
    m = measured_with(two, {("first", "p1"): 0.9, ("first", "n1"): 0.5, ("first", "n2"): 0.4,
                            ("first", "n3"): 0.3, ("second", "p2"): 0.8, ("second", "n4"): 0.6,
                            ("second", "n5"): 0.1})
    cols = file_metrics.candidate_columns(two, m)
    row = file_metrics.summary_row(cols, two.negatives["a"])
    # a: q1 n1 (rank 2, gap .4), n2 (rank 3, gap .5); q2 n4 (rank 2, gap .2)
    assert row["negatives"] == 3 and row["queries"] == 2
    assert row["mean_rank"] == pytest.approx(7 / 3) and row["median_rank"] == 2
    assert row["mean_gap"] == pytest.approx((0.4 + 0.5 + 0.2) / 3)
    assert row["distinct_share"] == 1.0 and row["max_reuse"] == 1
    assert row["margin_suspect_share"] == 0.0
    close = measured_with(two, {("first", "p1"): 0.5, ("first", "n1"): 0.49, ("first", "n2"): 0.1,
                                ("first", "n3"): 0.1, ("second", "p2"): 0.5, ("second", "n4"): 0.1,
                                ("second", "n5"): 0.1})
    row = file_metrics.summary_row(file_metrics.candidate_columns(two, close), two.negatives["a"])
    assert row["margin_suspect_share"] == pytest.approx(1 / 3)   # 0.49 >= 0.95 * 0.5


def test_padding_far_below_the_selections_range():
    rank = np.array([3, 5, 8, 9, 12, 400, 10, 7, 55, 950], dtype=float)
    # lower quartile 7.25: padding beyond 29 (4x) and 17.25 (+10); in a corpus of 2,000
    # also beyond 100 (5%)
    assert file_metrics.padding_mask(rank).tolist() == [False] * 5 + [True, False, False, True, True]
    assert file_metrics.padding_mask(rank, reference=2000).tolist() == \
        [False] * 5 + [True, False, False, False, True]            # 5% of 2,000: beyond 100
    # a selection mined by another scorer spreads deep on the yardstick (median 45 >= 3 x its
    # lower quartile 10.5): its deep negatives that share terms with the query like its shallow
    # ones do (BM25 ratio >= half the shallow ones' 10th percentile) are real, not filler
    wide = np.array([2, 3, 4, 30, 40, 50, 60, 900, 70, 80], dtype=float)
    lexical = np.array([.5, .6, .4, .5, .7, .5, .45, .05, .6, .5])
    assert file_metrics.padding_mask(wide).tolist() == [False] * 5 + [True] * 5
    assert file_metrics.padding_mask(wide, lexical=lexical).tolist() == [False] * 7 + [True, False, False]
    # a narrow selection (a dense miner on a dense yardstick): BM25 does not clear its filler
    assert file_metrics.padding_mask(rank, lexical=np.full(10, .5)).tolist() == \
        file_metrics.padding_mask(rank).tolist()
    # another file holds it, or the file's own score keeps it in the file's range: not filler
    shared = np.zeros(10, dtype=bool)
    shared[5] = True
    assert file_metrics.padding_mask(rank, shared=shared).tolist() == [False] * 8 + [True, True]
    own = np.array([.9, .8, .85, .82, .88, .86, .87, .84, .2, np.nan])  # median .855, MAD .02
    assert file_metrics.padding_mask(rank, own=own).tolist() == [False] * 8 + [True, True]


def test_sibling_kinds():
    qs = [("q", "the query")]
    text = " ".join(f"w{i}" for i in range(40))      # 40 words, 39 bigrams
    edited = text.replace("w6 ", "six ").replace("w30 ", "thirty ")
    docs = [("p", text), ("e", "  " + text.upper() + " "), ("n", edited), ("o", "a different passage entirely here"),
            ("l", "labelled elsewhere")]
    a = nset(qs, docs, [("q", "p", 1), ("q", "l", 1)], "a")
    b = nset(qs, docs, [("q", "p", 1), ("q", "e", 0), ("q", "n", 0), ("q", "o", 0), ("q", "l", 0)], "b")
    union = match_files({"a": a, "b": b})
    # "e" normalises to p's text, so matching already merged it into p: b lists p as a negative
    rows = union.negatives["b"]
    kinds = dict(zip(union.nset.pairs["did"].iloc[rows].map(union.nset.doc_text()),
                     file_metrics.sibling_kind(union, rows)))
    assert kinds[text] == "labelled"
    assert kinds["labelled elsewhere"] == "labelled"
    # two words changed: 4 of 39 bigrams differ on each side, Jaccard 35 / 43 = 0.81 >= 0.6
    assert kinds[edited] == "near"
    assert kinds["a different passage entirely here"] == ""


def test_clusters_share_table_and_js():
    clusters = np.array([0, 0, 1, 2])           # per document code
    doc_of_row = np.array([0, 1, 2, 3, 0])      # per union row
    selections = {"a": np.array([0, 1, 2]), "b": np.array([2, 3, 4])}
    table = file_clusters.share_table(selections, doc_of_row, clusters, top=2)
    # sizes over both: cluster 0: 3, cluster 1: 2, cluster 2: 1 -> c0, c1, other
    assert list(table.columns) == ["c0", "c1", "other"]
    assert table.loc["a"].tolist() == pytest.approx([2 / 3, 1 / 3, 0])
    assert table.loc["b"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    js = file_clusters.js_matrix(selections, doc_of_row, clusters)
    assert js.loc["a", "b"] == pytest.approx(js_divergence(np.array([2, 1, 0]), np.array([1, 1, 1])))
    assert js.loc["a", "a"] == 0


def test_union_rank_equals_brute_force():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(300, 8)); q /= np.linalg.norm(q, axis=1, keepdims=True)
    d = rng.normal(size=(500, 8)); d /= np.linalg.norm(d, axis=1, keepdims=True)
    qcode, dcode = rng.integers(0, 300, 2000), rng.integers(0, 500, 2000)
    score = np.einsum("ij,ij->i", q[qcode], d[dcode])
    brute = np.array([(q[a] @ d.T > s + 1e-6).sum() + 1 for a, s in zip(qcode, score)])
    assert np.array_equal(union_rank(q, d, qcode, score, block=64), brute)

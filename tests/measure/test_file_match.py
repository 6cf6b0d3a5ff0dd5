"""Several files lined up: queries and documents by id where ids agree, else by normalised text;
partial overlap reported (issue 26). Hand-built sets, every count checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.measure.file_match import match_files, normalise_text, open_files
from analysis.model import DataError, NegativeSet


def nset(queries, docs, pairs, name):
    return NegativeSet(pd.DataFrame(queries, columns=["qid", "text"]),
                       pd.DataFrame(docs, columns=["did", "text"]),
                       pd.DataFrame(pairs, columns=["qid", "did", "label"]).assign(source=name))


def keyed(union, name):
    """{(query text, doc text): label} of a file's rows in the union."""
    p = union.nset.pairs
    qt, dt = union.nset.query_text(), union.nset.doc_text()
    rows = np.r_[union.negatives[name], union.positives[name]]
    return {(qt[p["qid"].iloc[r]], dt[p["did"].iloc[r]]): int(p["label"].iloc[r]) for r in rows}


def test_normalise_text():
    assert normalise_text("  What IS\tBM25?\n") == "what is bm25?"
    assert normalise_text("ﬁne") == "fine"  # NFKC ligature


def test_ids_agree_match_by_id_even_when_text_differs():
    a = nset([("q1", "what is bm25"), ("q2", "who wrote it")], [("d1", "BM25 is ..."), ("d2", "Robertson")],
             [("q1", "d1", 1), ("q1", "d2", 0), ("q2", "d2", 1)], "a")
    # the same ids, but q2's text carries a prompt
    b = nset([("q1", "What is BM25"), ("q2", "query: who wrote it")], [("d1", "BM25 is ..."), ("d3", "Okapi")],
             [("q1", "d1", 1), ("q1", "d3", 0), ("q2", "d3", 0)], "b")
    union = match_files({"a": a, "b": b})
    fb = union.report.files[1]
    # q1's normalised texts agree, q2's do not: agreement 1/2 < 0.9, so b matches by text
    assert (fb.by_id, fb.by_text, fb.new) == (0, 1, 1)
    assert union.report.union_queries == 3 and union.report.common_queries == 1

    c = nset([("q1", "what is bm25"), ("q2", "who wrote it")], [("d1", "BM25 is ..."), ("d9", "Jones")],
             [("q1", "d9", 0), ("q2", "d1", 0)], "c")
    union = match_files({"a": a, "c": c})
    fc = union.report.files[1]
    assert (fc.by_id, fc.by_text, fc.new, fc.id_agreement) == (2, 0, 0, 1.0)
    assert union.report.common_queries == 2
    assert keyed(union, "c") == {("what is bm25", "Jones"): 0, ("who wrote it", "BM25 is ..."): 0}


def test_text_matching_when_ids_are_row_numbers():
    a = nset([("0", "alpha query"), ("1", "beta query")], [("0", "doc A"), ("1", "doc B"), ("2", "doc C")],
             [("0", "0", 1), ("0", "1", 0), ("1", "2", 1), ("1", "0", 0)], "a")
    b = nset([("0", "Beta  query"), ("1", "gamma query")], [("0", "doc C"), ("1", "DOC a")],
             [("0", "0", 1), ("0", "1", 0), ("1", "1", 0)], "b")
    union = match_files({"a": a, "b": b})
    fa, fb = union.report.files
    assert fb.id_agreement == 0.0 and (fb.by_id, fb.by_text, fb.new) == (0, 1, 1)
    assert union.report.union_queries == 3 and union.report.common_queries == 1
    assert union.report.unmatched["a"] == ["alpha query"] and union.report.unmatched["b"] == ["gamma query"]
    # b's "DOC a" is a's "doc A" (normalised text): the same union document, a negative of beta
    pairs = union.nset.pairs
    beta = pairs[pairs["qid"] == union.nset.queries.set_index("text").loc["beta query", "qid"]]
    assert len(beta) == 2  # doc C (positive in both) and doc A (negative in both)
    assert len(union.negatives["a"]) == 2 and len(union.negatives["b"]) == 2
    assert len(np.intersect1d(union.negatives["a"], union.negatives["b"])) == 1


def test_a_negative_labelled_positive_elsewhere_is_a_union_positive():
    a = nset([("q", "query")], [("x", "passage x"), ("y", "passage y")], [("q", "x", 1), ("q", "y", 1)], "a")
    b = nset([("q", "query")], [("x", "passage x"), ("y", "passage y")], [("q", "x", 1), ("q", "y", 0)], "b")
    union = match_files({"a": a, "b": b})
    row = union.negatives["b"][0]
    assert union.nset.pairs["label"].iloc[row] == 1   # b mined a's positive: a sibling
    assert len(union.positives["b"]) == 1


def test_own_scores_are_kept_per_file():
    a = nset([("q", "query")], [("x", "x"), ("y", "y")], [("q", "x", 1), ("q", "y", 0)], "a")
    a.pairs["score"] = np.array([0.9, 0.4], dtype=np.float32)
    b = nset([("q", "query")], [("z", "z")], [("q", "z", 0)], "b")
    union = match_files({"a": a, "b": b})
    assert np.isnan(union.own_scores["a"]).sum() == 1 and np.nanmax(union.own_scores["a"]) == pytest.approx(0.9)


def test_open_files_needs_two(tmp_path):
    with pytest.raises(DataError, match="two or more"):
        open_files([str(tmp_path / "a.jsonl")])


def test_the_three_example_files_match_on_every_query():
    from tests.conftest import SAMPLE_DATA

    d = SAMPLE_DATA / "compare"
    union = open_files([str(d / "st_margin_ntuple.jsonl"), str(d / "flag_hn_mine_padded.jsonl"),
                        str(d / "bm25_tevatron.jsonl")])
    st, flag, bm25 = union.report.files
    assert union.report.common_queries == union.report.union_queries == 120
    assert flag.by_id == 120          # both write ids made from the text: they agree
    assert bm25.by_text == 120        # BEIR ids: matched by text
    assert (st.negatives, bm25.negatives) == (600, 960)


def test_sample_keeps_matching_queries_of_every_file():
    from tests.conftest import SAMPLE_DATA

    d = SAMPLE_DATA / "compare"
    union = open_files([str(d / "st_margin_ntuple.jsonl"), str(d / "bm25_tevatron.jsonl")], sample=30, seed=3)
    assert union.report.union_queries == union.report.common_queries == 30

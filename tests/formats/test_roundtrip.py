"""load -> write -> load gives the same queries, documents, labels and scores, for every
writer, layout and file type (property-based over small random sets with awkward texts)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.formats import load, text_id, write
from analysis.model import NegativeSet

AWKWARD = ['"', "'", ",", "\n", "\r\n", "\t", "<script>alert(1)</script>", "<b>", "&amp;",
           "é", "日本", "🙂", "\\", "[1, 2]", "{\"a\": 1}", " ", "\u2028", "null"]
TEXT = st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(min_size=1, max_size=8)),
                min_size=1, max_size=5).map("".join).filter(lambda s: s.strip())
SCORE = st.floats(min_value=-100, max_value=100, width=32, allow_nan=False)


@st.composite
def negative_sets(draw, *, scored: bool | None, one_positive: bool, equal_negatives: bool):
    """Queries with 1-2 positives and 1-3 negatives over a shared document pool.

    ``scored``: True every pair has a score, False none, None decided per query."""
    docs = draw(st.lists(TEXT, min_size=2, max_size=8, unique=True))
    queries = draw(st.lists(TEXT, min_size=1, max_size=4, unique=True))
    width = draw(st.integers(1, min(3, len(docs) - 1)))
    rows = []
    for query in queries:
        order = draw(st.permutations(range(len(docs))))
        num_pos = 1 if one_positive else draw(st.integers(1, max(1, min(2, len(docs) - width))))
        num_neg = width if equal_negatives else draw(st.integers(1, min(3, len(docs) - num_pos)))
        has_scores = draw(st.booleans()) if scored is None else scored
        for rank, index in enumerate(order[:num_pos + num_neg]):
            score = draw(SCORE) if has_scores else math.nan
            rows.append((query, docs[index], int(rank < num_pos), score))
    used_docs = sorted({r[1] for r in rows})
    pairs = pd.DataFrame({"qid": [text_id(r[0], "q") for r in rows],
                          "did": [text_id(r[1], "d") for r in rows],
                          "label": [r[2] for r in rows], "score": [r[3] for r in rows],
                          "source": "in.jsonl"})
    return NegativeSet(pd.DataFrame({"qid": [text_id(q, "q") for q in queries], "text": queries}),
                       pd.DataFrame({"did": [text_id(d, "d") for d in used_docs], "text": used_docs}),
                       pairs)


def _content(nset: NegativeSet, *, scores: bool):
    pairs = {(str(q), str(d), int(label), float(s) if scores and not np.isnan(s) else None)
             for q, d, label, s in zip(nset.pairs["qid"], nset.pairs["did"], nset.pairs["label"],
                                       nset.pairs["score"])}
    return (dict(zip(nset.queries["qid"].astype(str), nset.queries["text"].astype(str))),
            dict(zip(nset.docs["did"].astype(str), nset.docs["text"].astype(str))), pairs)


SBERT = [(layout, scores, suffix)
         for layout in ("triplet", "n-tuple", "labeled-pair", "labeled-list")
         for scores in (False, True) for suffix in (".jsonl", ".csv", ".parquet", "")]
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _round_trip(nset: NegativeSet, name: str, *, compare_scores: bool, **options) -> None:
    with tempfile.TemporaryDirectory() as folder:
        again = load(write(nset, Path(folder) / name, **options))
    assert again.skipped == []
    assert _content(again, scores=compare_scores) == _content(nset, scores=compare_scores)


@pytest.mark.parametrize("layout, scores, suffix", SBERT,
                         ids=[f"{a}-{'scores' if b else 'labels'}-{c or 'datasets'}" for a, b, c in SBERT])
def test_sentence_transformers(layout, scores, suffix):
    @SETTINGS
    @given(negative_sets(scored=scores, one_positive=layout == "labeled-pair" and scores,
                         equal_negatives=layout == "n-tuple"))
    def check(nset):
        _round_trip(nset, f"out{suffix}", compare_scores=scores, format="sentence-transformers",
                    layout=layout, scores=scores)

    check()


@SETTINGS
@given(negative_sets(scored=None, one_positive=False, equal_negatives=False))
def test_flagembedding_keeps_the_scores_of_fully_scored_queries(nset):
    _round_trip(nset, "out.jsonl", compare_scores=True, format="flagembedding")


@pytest.mark.parametrize("layout", ["legacy", "new"])
def test_tevatron(layout):
    @SETTINGS
    @given(negative_sets(scored=False, one_positive=False, equal_negatives=False))
    def check(nset):
        _round_trip(nset, "train.jsonl" if layout == "legacy" else "folder",
                    compare_scores=False, format="tevatron", layout=layout)

    check()

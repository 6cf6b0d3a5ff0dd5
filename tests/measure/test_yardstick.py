"""The yardstick scores exactly the union's pairs and encodes only texts not yet cached, counted
(issue 26's target), with the packaged model on a cold cache of this test's own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.measure import yardstick
from analysis.measure.file_match import match_files
from analysis.model import NegativeSet


def nset(queries, docs, pairs, name):
    return NegativeSet(pd.DataFrame(queries, columns=["qid", "text"]),
                       pd.DataFrame(docs, columns=["did", "text"]),
                       pd.DataFrame(pairs, columns=["qid", "did", "label"]).assign(source=name))


QUERIES = [("q1", "how do telescopes magnify"), ("q2", "when to plant beans")]
DOCS = [("a", "A telescope's magnification is its focal length over the eyepiece's."),
        ("b", "Bush beans are sown after the last frost."),
        ("c", "Refractors use lenses, reflectors use mirrors."),
        ("d", "Pole beans climb a trellis.")]


@pytest.fixture(scope="module")
def encoder():
    from analysis.scoring.encode import load_encoder

    return load_encoder()


def test_only_texts_not_cached_are_encoded(encoder, tmp_path):
    a = nset(QUERIES, DOCS, [("q1", "a", 1), ("q1", "c", 0), ("q2", "b", 1), ("q2", "d", 0)], "a")
    b = nset(QUERIES, DOCS[:2], [("q1", "a", 1), ("q1", "b", 0), ("q2", "b", 1)], "b")
    union = match_files({"a": a, "b": b})
    spec = yardstick.parse("model")
    texts, cached, estimate = yardstick.need(union, spec, cache_dir=tmp_path, rates_dir=tmp_path)
    assert (texts, cached, estimate.texts) == (6, 0, 6)       # 2 queries + 4 documents
    first = yardstick.measure(union, spec, cache_dir=tmp_path, encoder=encoder)
    assert first.encoded == 6
    # exactly the union's pairs are scored: cosine of the two embeddings
    pairs = union.nset.pairs
    q = first.query_embeddings[pairs["qid"].cat.codes.to_numpy()]
    d = first.doc_embeddings[pairs["did"].cat.codes.to_numpy()]
    assert np.allclose(first.score, (q * d).sum(axis=1), atol=1e-6) and len(first.score) == 5

    extra = [("e", "Dobsonian mounts are simple alt-azimuth mounts."), ("f", "Beans fix nitrogen.")]
    c = nset(QUERIES, DOCS + extra, [("q1", "e", 0), ("q2", "f", 0), ("q2", "b", 1)], "c")
    bigger = match_files({"a": a, "b": b, "c": c})
    texts, cached, estimate = yardstick.need(bigger, spec, cache_dir=tmp_path, rates_dir=tmp_path)
    assert (texts, cached, estimate.texts) == (8, 6, 2)
    second = yardstick.measure(bigger, spec, cache_dir=tmp_path, encoder=encoder)
    assert second.encoded == 2                                 # only the two new passages
    again = yardstick.measure(bigger, spec, cache_dir=tmp_path, encoder=encoder)
    assert again.encoded == 0
    # a second union over the same texts, without an encoder: read from the cache, no model
    cold = yardstick.measure(bigger, spec, cache_dir=tmp_path)
    assert cold.encoded == 0 and np.allclose(cold.score, second.score, atol=1e-6)


def test_parse_refuses_unknown_kinds_and_files():
    with pytest.raises(ValueError, match="yardstick must be one of"):
        yardstick.parse("bm25")
    with pytest.raises(ValueError, match="names none of the files"):
        yardstick.parse("file:c.jsonl", ["a.jsonl", "b.jsonl"])
    assert yardstick.parse(None) == yardstick.Spec("model")

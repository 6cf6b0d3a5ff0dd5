"""Cross-encoder rescoring, with a small CrossEncoder made from the MiniLM weights.

No pretrained cross-encoder can be downloaded here: the classification head is random (seeded),
which is enough to test the code path. Scores must be the model's own ``predict`` output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis.scoring.rerank as rerank
from analysis.model import DataError, NegativeSet
from analysis.scoring.encode import default_model_path
from analysis.scoring.pool import build_pool
from analysis.scoring.rerank import (
    add_ce_scores,
    cross_encoder_scores,
    load_cross_encoder,
)

QUERIES = ["what is the lift of a wing in a slipstream", "boundary layer transition at high speed"]
DOCS = ["an experimental study of a wing in a propeller slipstream",
        "transition of the laminar boundary layer at supersonic speeds",
        "heat conduction in composite slabs", "buckling of thin cylindrical shells"]


def make_cross_encoder(path, num_labels: int = 1):
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    CrossEncoder(default_model_path(), num_labels=num_labels).save(str(path))
    return path


@pytest.fixture(scope="module")
def ce_path(tmp_path_factory):
    return make_cross_encoder(tmp_path_factory.mktemp("cross-encoder"))


@pytest.fixture(scope="module")
def reranker(ce_path):
    return load_cross_encoder(ce_path)


def small_set() -> NegativeSet:
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": QUERIES})
    docs = pd.DataFrame({"did": [f"d{i}" for i in range(len(DOCS))], "text": DOCS})
    pairs = pd.DataFrame({"qid": ["q1", "q1", "q2", "q1"], "did": ["d0", "d2", "d1", "d2"],
                          "label": [1, 0, 1, 0], "source": ["a", "a", "a", "b"]})
    return NegativeSet(queries, docs, pairs)


def test_scores_are_the_models_own_predict_output(reranker, monkeypatch):
    monkeypatch.setattr(rerank, "PREDICT_CHUNK", 3)
    queries = [QUERIES[i % 2] for i in range(len(DOCS))]
    seen = []
    got = cross_encoder_scores(reranker, queries, DOCS, progress=lambda *a: seen.append(a))
    expected = reranker.model.predict(list(zip(queries, DOCS)))
    assert got.dtype == np.float32 and got.shape == (4,)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert seen == [(0, 4, "cross-encoder"), (3, 4, "cross-encoder"), (4, 4, "cross-encoder")]


def test_reloading_gives_the_same_scores(reranker, ce_path):
    again = load_cross_encoder(ce_path)
    assert again.identity == reranker.identity and again.identity.startswith("path:")
    pairs = (QUERIES * 2, DOCS)
    np.testing.assert_array_equal(cross_encoder_scores(again, *pairs),
                                  cross_encoder_scores(reranker, *pairs))


def test_each_distinct_pair_is_scored_once(reranker, monkeypatch):
    asked = []
    original = reranker.model.predict
    monkeypatch.setattr(reranker.model, "predict",
                        lambda pairs, **kw: asked.extend(map(tuple, pairs)) or original(pairs, **kw))
    nset = small_set()
    out = add_ce_scores(nset, reranker)
    assert sorted(asked) == sorted({(QUERIES[0], DOCS[0]), (QUERIES[0], DOCS[2]),
                                    (QUERIES[1], DOCS[1])})
    assert out.pairs["ce_score"].dtype == np.float32
    assert out.pairs["ce_score"][1] == out.pairs["ce_score"][3]   # same pair, two sources
    expected = original([[QUERIES[0], DOCS[0]], [QUERIES[0], DOCS[2]], [QUERIES[1], DOCS[1]]])
    np.testing.assert_allclose(out.pairs["ce_score"].to_numpy()[:3], expected[[0, 1, 2]], atol=1e-6)
    pd.testing.assert_frame_equal(out.pairs.drop(columns="ce_score"), nset.pairs)


def test_a_pool_with_a_cross_encoder_has_ce_scores_beside_scores(reranker, tmp_path):
    pool = build_pool(small_set(), top_n=2, cross_encoder=reranker, cache_dir=tmp_path)
    pairs = pool.pairs
    assert {"score", "ce_score"} <= set(pairs.columns)
    assert pairs["ce_score"].notna().all() and pairs["score"].notna().all()
    qtext, dtext = pool.query_text(), pool.doc_text()
    expected = reranker.model.predict([[qtext[q], dtext[d]] for q, d in zip(pairs["qid"], pairs["did"])])
    np.testing.assert_allclose(pairs["ce_score"], expected, atol=1e-6)
    assert pool.meta["pool"]["cross_encoder"] == str(reranker.name)


def test_unusable_cross_encoders_are_refused(tmp_path):
    with pytest.raises(DataError, match='field "cross_encoder"'):
        load_cross_encoder(tmp_path / "missing")
    two = make_cross_encoder(tmp_path / "two-labels", num_labels=2)
    with pytest.raises(DataError, match="2 labels"):
        load_cross_encoder(two)
    with pytest.raises(DataError, match="2 queries but 1 documents"):
        cross_encoder_scores(None, QUERIES, DOCS[:1])

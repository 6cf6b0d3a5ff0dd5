"""Approximate HNSW search: recall against exact on small synthetic embeddings, and the pool
it builds (settings mark its ranks approximate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("faiss", reason="faiss-cpu is not installed (requirements.txt pins it)")

from analysis.model import NegativeSet  # noqa: E402
from analysis.scoring.pool import exact_search, pool_from_embeddings  # noqa: E402
from analysis.scoring.search_hnsw import hnsw_search, measure_recall  # noqa: E402


def normalised(rng, n, dim=32):
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_hnsw_recall_against_exact_on_synthetic_data():
    rng = np.random.default_rng(7)
    docs, queries = normalised(rng, 3000), normalised(rng, 100)
    top, scores, _, _ = hnsw_search(queries, docs, top_n=10)
    exact = exact_search(queries, docs, top_n=10)
    overlap = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(top, exact.top_docs)])
    assert overlap >= 0.95
    # scores are the exact float32 dot products, best first
    np.testing.assert_allclose(scores, np.einsum("qd,qkd->qk", queries, docs[top]), atol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()
    measured = measure_recall(queries, docs, top, sample=50, seed=1)
    assert measured["recall_queries"] == 50 and measured["recall_at"] == 10
    assert 0.95 <= measured["recall"] <= 1.0
    # a deliberately wrong result has low measured recall: the measurement can fail
    wrong = measure_recall(queries, docs, np.roll(top, 1, axis=0), sample=50, seed=1)
    assert wrong["recall"] < 0.2


def test_requested_pairs_get_exact_scores_and_ranks_in_or_below_the_list():
    rng = np.random.default_rng(3)
    docs, queries = normalised(rng, 500), normalised(rng, 4)
    top, _, _, _ = hnsw_search(queries, docs, top_n=5)
    worst = np.argmin(queries @ docs.T, axis=1)          # surely not in any top-5
    req = (np.array([0, 1, 2]), np.array([top[0, 2], worst[1], top[2, 0]]))
    _, _, scores, ranks = hnsw_search(queries, docs, top_n=5, requests=req)
    assert ranks.tolist() == [3, 6, 1]                   # 6 = k + 1: a lower bound
    np.testing.assert_allclose(scores, np.einsum("rd,rd->r", queries[req[0]], docs[req[1]]), atol=1e-6)


def test_pool_with_hnsw_matches_exact_pool_and_says_it_is_approximate():
    rng = np.random.default_rng(5)
    docs, queries = normalised(rng, 800), normalised(rng, 20)
    nset = NegativeSet(pd.DataFrame({"qid": [f"q{i}" for i in range(20)], "text": ["q"] * 20}),
                       pd.DataFrame({"did": ["d0"], "text": ["d"]}),
                       pd.DataFrame({"qid": ["q0"], "did": ["d0"], "label": [1], "source": ["qrels"],
                                     "rank": [np.nan], "score": [np.nan]}), format="test")
    corpus = pd.DataFrame({"did": ["d0"] + [f"d{i}" for i in range(1, 800)], "text": ["d"] * 800})
    exact = pool_from_embeddings(nset, corpus, queries, docs, top_n=10)
    approx = pool_from_embeddings(nset, corpus, queries, docs, top_n=10, search="hnsw")
    assert approx.meta["pool"]["ranks"] == "approximate" and approx.meta["pool"]["search"] == "hnsw"
    assert approx.meta["pool"]["recall"] >= 0.95
    key = ["qid", "did"]
    same = exact.pairs.merge(approx.pairs, on=key, suffixes=("_e", "_a"))
    assert len(same) >= 0.95 * len(exact.pairs)
    np.testing.assert_allclose(same["score_e"], same["score_a"], atol=1e-6)


def test_a_stopped_hnsw_build_reads_its_index_back_instead_of_building_it(tmp_path, monkeypatch):
    import faiss

    from analysis.scoring import search_hnsw
    from tests.scoring.test_search_blocks import assert_same_pool, synthetic

    nset, corpus, q, d = synthetic()
    whole = pool_from_embeddings(nset, corpus, q, d, top_n=7, search="hnsw")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("stopped after the index was built")
    monkeypatch.setattr(search_hnsw, "measure_recall", killed)
    with pytest.raises(KeyboardInterrupt):
        pool_from_embeddings(nset, corpus, q, d, top_n=7, search="hnsw", checkpoint=tmp_path)
    (index,) = tmp_path.glob("*/hnsw-m32-efc64.faiss")
    monkeypatch.undo()
    monkeypatch.setattr(faiss, "IndexHNSWFlat", lambda *a: pytest.fail("built the index again"))
    resumed = pool_from_embeddings(nset, corpus, q, d, top_n=7, search="hnsw", checkpoint=tmp_path)
    assert_same_pool(resumed, whole)
    assert resumed.meta["pool"]["recall"] == whole.meta["pool"]["recall"]
    assert not index.parent.exists()                      # removed once the search is done

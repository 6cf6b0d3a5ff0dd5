"""Projections: shape, alignment, determinism, the disk cache, sampling and the points table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist

from analysis.measure.maps import map_points, stratified_sample
from analysis.measure.projection import Projector, exact_knn
from analysis.model import DataError, NegativeSet


def _unit(X):
    X = np.asarray(X, dtype=np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_pca_of_points_in_a_plane_keeps_their_distances():
    # Four unit vectors in the x-y plane: PCA to 2-D is a rotation of that plane.
    X = _unit([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]])
    coords = Projector("pca", cache=False).fit_transform(X)
    assert coords.shape == (4, 2) and coords.dtype == np.float32
    np.testing.assert_allclose(pdist(coords), pdist(X), atol=1e-6)


def test_pca_rows_stay_aligned_when_rows_are_permuted():
    X = np.random.default_rng(1).normal(size=(200, 16)).astype(np.float32)
    order = np.random.default_rng(2).permutation(200)
    a = Projector("pca", cache=False).fit_transform(X)
    b = Projector("pca", cache=False).fit_transform(X[order])
    np.testing.assert_allclose(b, a[order], atol=1e-5)


def test_rows_are_normalised_first():
    X = np.random.default_rng(3).normal(size=(50, 8)).astype(np.float32)
    scaled = X * np.random.default_rng(4).uniform(0.5, 5, size=(50, 1)).astype(np.float32)
    np.testing.assert_allclose(Projector("pca", cache=False).fit_transform(scaled),
                               Projector("pca", cache=False).fit_transform(X), atol=1e-5)


def test_cache_hit_returns_the_stored_coordinates(tmp_path):
    X = np.random.default_rng(5).normal(size=(100, 8)).astype(np.float32)
    first = Projector("pca", cache_dir=str(tmp_path))
    coords = first.fit_transform(X)
    assert not first.last_cache_hit
    files = list(tmp_path.glob("pca-*.npy"))
    assert len(files) == 1 and np.array_equal(np.load(files[0]), coords)
    second = Projector("pca", cache_dir=str(tmp_path))
    assert np.array_equal(second.fit_transform(X), coords) and second.last_cache_hit
    # Other data or other parameters are other keys.
    assert first.cache_key(X) != first.cache_key(X[::-1])
    assert Projector("umap").cache_key(X) != Projector("umap", n_neighbors=5).cache_key(X)
    # PCA ignores UMAP's parameters, so they do not split its cache.
    assert Projector("pca").cache_key(X) == Projector("pca", n_neighbors=5).cache_key(X)


def test_small_inputs_and_bad_inputs():
    X = _unit(np.random.default_rng(6).normal(size=(3, 5)))
    for method in ("pca", "umap", "tsne"):
        assert Projector(method, cache=False).fit_transform(X).shape == (3, 2)
    assert Projector("pca", cache=False).fit_transform(X[:1]).tolist() == [[0.0, 0.0]]
    with pytest.raises(DataError, match="method"):
        Projector("mds")
    with pytest.raises(DataError, match="NaN"):
        Projector("pca", cache=False).fit_transform(np.array([[np.nan, 1.0], [1.0, 0.0]]))
    with pytest.raises(DataError, match="2-D"):
        Projector("pca", cache=False).fit_transform(np.ones(4))


def test_exact_knn_matches_brute_force():
    X = _unit(np.random.default_rng(7).normal(size=(300, 12)))
    idx, dist = exact_knn(X, 6)
    sim = X @ X.T
    np.fill_diagonal(sim, np.inf)
    expected = np.argsort(-sim, axis=1, kind="stable")[:, :6]
    assert np.array_equal(idx, expected)
    assert np.all(dist[:, 0] == 0) and np.all(np.diff(dist, axis=1) >= 0)
    np.testing.assert_allclose(dist[:, 1:], 1 - np.take_along_axis(X @ X.T, idx[:, 1:], 1), atol=1e-6)


def test_umap_is_deterministic_separates_clusters_and_caches(tmp_path):
    # One small fit (numba compiles once per process), repeated, then read from the cache.
    rng = np.random.default_rng(8)
    centres = np.eye(16, dtype=np.float32)[:2] * 5
    X = np.vstack([centres[0] + rng.normal(size=(150, 16)), centres[1] + rng.normal(size=(150, 16))])
    a = Projector("umap", cache=False).fit_transform(X)
    b = Projector("umap", cache=False).fit_transform(X)
    assert a.shape == (300, 2) and a.dtype == np.float32
    assert np.array_equal(a, b)
    centre_gap = np.linalg.norm(a[:150].mean(0) - a[150:].mean(0))
    assert centre_gap > 2 * max(a[:150].std(0).max(), a[150:].std(0).max())
    cached = Projector("umap", cache_dir=str(tmp_path))
    assert np.array_equal(cached.fit_transform(X), a) and not cached.last_cache_hit
    assert np.array_equal(cached.fit_transform(X), a) and cached.last_cache_hit


def _pairs(num_queries=3, negatives=10, sources=("pool",)):
    queries = pd.DataFrame({"qid": [f"q{i}" for i in range(num_queries)],
                            "text": [f"query {i}" for i in range(num_queries)]})
    docs = pd.DataFrame({"did": [f"d{i}" for i in range(num_queries * (negatives + 1))],
                         "text": [f"doc {i}" for i in range(num_queries * (negatives + 1))]})
    rows = []
    for q in range(num_queries):
        base = q * (negatives + 1)
        for source in sources:
            rows.append((f"q{q}", f"d{base}", 1, source, 1, 0.9))
            rows += [(f"q{q}", f"d{base + j}", 0, source, j + 1, 0.5) for j in range(1, negatives + 1)]
    pairs = pd.DataFrame(rows, columns=["qid", "did", "label", "source", "rank", "score"])
    return NegativeSet(queries, docs, pairs)


def test_stratified_sample_keeps_positives_and_spreads_negatives_evenly():
    nset = _pairs()
    sample = stratified_sample(nset.pairs, 3 + 3 + 6, np.random.default_rng(0))
    kept = sample.pairs
    assert sample.total_points == 3 + 33 and sample.kept_points == 12 and sample.sampled
    assert (kept["label"] == 1).sum() == 3
    assert kept[kept["label"] == 0].groupby("qid", observed=True).size().tolist() == [2, 2, 2]
    assert "12 of 36 points" in sample.note and "6 of 30 negatives" in sample.note
    # Rows keep their original order; the same seed gives the same sample.
    original = nset.pairs.reset_index()
    merged = kept.merge(original, on=["qid", "did", "source"])
    assert merged["index"].is_monotonic_increasing
    again = stratified_sample(nset.pairs, 12, np.random.default_rng(0)).pairs
    assert again.equals(kept)


def test_stratified_sample_groups_by_source_and_states_an_overfull_budget():
    nset = _pairs(num_queries=2, negatives=4, sources=("a", "b"))
    kept = stratified_sample(nset.pairs, 2 + 4 + 4, np.random.default_rng(1)).pairs
    negatives = kept[kept["label"] == 0]
    assert negatives.groupby(["qid", "source"], observed=True).size().tolist() == [1, 1, 1, 1]
    tight = stratified_sample(nset.pairs, 3, np.random.default_rng(1))
    assert tight.kept_points == 6 and "exceed max_points=3" in tight.note
    everything = stratified_sample(nset.pairs, 1000, np.random.default_rng(1))
    assert not everything.sampled and everything.pairs is nset.pairs
    with pytest.raises(DataError, match="max_points"):
        stratified_sample(nset.pairs, 0, np.random.default_rng(1))


def test_map_points_roles_alignment_and_shared_documents():
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["a", "b"]})
    docs = pd.DataFrame({"did": ["d1", "d2", "d3"], "text": ["x", "y", "z"]})
    pairs = pd.DataFrame({"qid": ["q1", "q1", "q2", "q2"], "did": ["d1", "d3", "d2", "d3"],
                          "label": [1, 0, 1, 0], "source": "pool", "rank": [1, 2, 1, 3],
                          "score": [0.9, 0.5, 0.8, 0.4]})
    nset = NegativeSet(queries, docs, pairs)
    rng = np.random.default_rng(9)
    q_emb, d_emb = rng.normal(size=(2, 6)), rng.normal(size=(3, 6))
    points, sample = map_points(nset.pairs, q_emb, d_emb, projector=Projector("pca", cache=False))
    assert not sample.sampled
    assert points["role"].tolist() == ["query", "query", "positive", "negative", "positive", "negative"]
    assert points["did"].isna().tolist() == [True, True, False, False, False, False]
    d3 = points[points["did"] == "d3"]
    assert len(d3) == 2 and d3[["x", "y"]].drop_duplicates().shape[0] == 1
    expected = Projector("pca", cache=False).fit_transform(np.vstack([q_emb, d_emb]))
    np.testing.assert_allclose(points.loc[points["role"] == "query", ["x", "y"]], expected[:2], atol=1e-6)
    np.testing.assert_allclose(points.loc[points["did"] == "d2", ["x", "y"]], expected[[3]], atol=1e-6)
    with pytest.raises(DataError, match="document embeddings"):
        map_points(nset.pairs, q_emb, d_emb[:2])

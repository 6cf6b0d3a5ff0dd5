"""Cluster metrics on hand-made labels: distributions, same-cluster share, entropy, JS divergence."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from analysis.measure.clusters import (
    cluster_distribution,
    cluster_overlap,
    cluster_summary,
    default_k,
    entropy,
    js_divergence,
    kmeans_labels,
    same_cluster_as_positive,
)
from analysis.model import DataError, NegativeSet

# Documents d0..d5 in clusters 0, 0, 1, 1, 2, 2.
DOC_CLUSTERS = np.array([0, 0, 1, 1, 2, 2])


def _set():
    queries = pd.DataFrame({"qid": ["q1", "q2", "q3"], "text": ["a", "b", "c"]})
    docs = pd.DataFrame({"did": [f"d{i}" for i in range(6)], "text": list("uvwxyz")})
    rows = [  # qid, did, label, source
        ("q1", "d0", 1, "pool"), ("q1", "d1", 0, "pool"), ("q1", "d2", 0, "pool"),
        ("q2", "d2", 1, "pool"), ("q2", "d3", 0, "pool"), ("q2", "d4", 0, "pool"),
        ("q1", "d1", 0, "top_k"), ("q2", "d3", 0, "top_k"),
        ("q1", "d4", 0, "random"), ("q2", "d5", 0, "random"),
        ("q3", "d0", 0, "random"),  # q3 has no positive
    ]
    pairs = pd.DataFrame(rows, columns=["qid", "did", "label", "source"])
    return NegativeSet(queries, docs, pairs)


def test_default_k():
    assert default_k(1400) == 26 and default_k(2) == 2 and default_k(10**6) == 50 and default_k(1) == 1


def test_kmeans_finds_obvious_clusters_deterministically():
    rng = np.random.default_rng(0)
    X = np.vstack([np.eye(8)[0] + 0.05 * rng.normal(size=(20, 8)),
                   np.eye(8)[1] + 0.05 * rng.normal(size=(20, 8))])
    labels = kmeans_labels(X, k=2)
    assert labels.dtype == np.int32
    assert len(set(labels[:20])) == 1 and len(set(labels[20:])) == 1 and labels[0] != labels[20]
    assert np.array_equal(labels, kmeans_labels(X, k=2))
    with pytest.raises(DataError, match="k must be"):
        kmeans_labels(X, k=41)


def test_cluster_distribution_counts_negatives_per_source():
    dist = cluster_distribution(_set().pairs, DOC_CLUSTERS)
    table = dist.pivot(index="source", columns="cluster", values="negatives")
    assert table.loc["pool"].tolist() == [1, 2, 1]      # d1 | d2, d3 | d4
    assert table.loc["top_k"].tolist() == [1, 1, 0]     # d1 | d3
    assert table.loc["random"].tolist() == [1, 0, 2]    # d0 | - | d4, d5
    assert dist.loc[dist["source"] == "pool", "share"].tolist() == [0.25, 0.5, 0.25]


def test_same_cluster_as_positive():
    pairs = _set().pairs
    same = same_cluster_as_positive(pairs, DOC_CLUSTERS)
    # q1's positive d0 is in cluster 0, q2's positive d2 in cluster 1; q3 has none.
    expected = [1, 1, 0, 1, 1, 0, 1, 1, 0, 0, np.nan]
    np.testing.assert_array_equal(same, expected)


def test_entropy_and_js_divergence_hand_checked():
    assert entropy([0.25] * 4) == pytest.approx(math.log(4))
    assert entropy([1.0, 0.0]) == 0.0
    assert js_divergence([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)  # base 2: disjoint = 1 (ln 2 nats)
    # 0.5 log2(4/3) + 0.5 (0.5 log2(2/3) + 0.5 log2 2) = 0.311278
    assert js_divergence([1, 0], [1, 1]) == pytest.approx(0.311278, abs=1e-6)
    p, q = np.array([0.1, 0.6, 0.3]), np.array([0.5, 0.2, 0.3])
    assert js_divergence(p, q) == pytest.approx(jensenshannon(p, q, base=2) ** 2)
    with pytest.raises(DataError):
        js_divergence([1, 0], [1, 0, 0])


def test_cluster_summary_and_overlap():
    pairs = _set().pairs
    summary = cluster_summary(pairs, DOC_CLUSTERS).set_index("source")
    assert summary.loc["pool", "negatives"] == 4 and summary.loc["pool", "clusters_used"] == 3
    assert summary.loc["pool", "entropy"] == pytest.approx(entropy([0.25, 0.5, 0.25]))
    assert summary.loc["pool", "normalized_entropy"] == pytest.approx(entropy([0.25, 0.5, 0.25]) / math.log(3))
    assert summary.loc["top_k", "same_cluster_share"] == 1.0     # d1 with q1, d3 with q2
    assert summary.loc["pool", "same_cluster_share"] == 0.5      # d1, d3 yes; d2, d4 no
    assert summary.loc["random", "same_cluster_share"] == 0.0    # q3's row is not counted
    overlap = cluster_overlap(pairs, DOC_CLUSTERS)
    assert list(zip(overlap["source_a"], overlap["source_b"])) == [
        ("pool", "random"), ("pool", "top_k"), ("random", "top_k")]
    row = overlap[(overlap["source_a"] == "pool") & (overlap["source_b"] == "top_k")]
    assert row["js_divergence"].item() == pytest.approx(js_divergence([1, 2, 1], [1, 1, 0]))

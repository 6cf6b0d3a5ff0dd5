"""Clusters of embeddings and how a selection's negatives spread over them (DESIGN.md 5-6).

Rules:

- Clusters: scikit-learn k-means (Lloyd, ``n_init`` fixed at 4, ``random_state``) on
  L2-normalised embeddings, so nearness is cosine. Run it over document embeddings for the
  cluster statistics and the same-cluster signal, over query embeddings for topic-balanced
  sampling. Default ``k``: ``round(sqrt(n / 2))`` clipped to [2, 50] (the rule of thumb
  sqrt(n/2), capped so clusters stay readable on a chart).
- Everything below counts negatives (``label == 0``) per ``source``: the pool, and each
  selection (``source`` = strategy name).
- Same cluster: a negative whose cluster is the cluster of any labelled positive of its query.
  Positives are looked up by query across all sources, since a selection holds no positives.
- Entropy of a distribution over clusters is in nats; ``normalized_entropy`` divides by
  ``ln k`` (1 = spread evenly over all k clusters, 0 = all in one).
- Cluster overlap of two selections: the Jensen-Shannon divergence of their cluster
  distributions in **base 2**, so it lies in [0, 1]: 0 for identical distributions, 1 for
  disjoint ones (ln 2 in nats).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError

N_INIT = 4
MAX_DEFAULT_K = 50


def default_k(n: int) -> int:
    """``round(sqrt(n / 2))`` clipped to [2, 50], and never more than ``n``."""
    return int(min(max(2, round(np.sqrt(n / 2))), MAX_DEFAULT_K, max(n, 1)))


def kmeans_labels(embeddings: np.ndarray, *, k: int | None = None, random_state: int = 0) -> np.ndarray:
    """int32 cluster of each row of ``embeddings`` (k-means on normalised rows, see rules)."""
    from sklearn.cluster import KMeans

    X = np.asarray(embeddings, dtype=np.float32)
    if X.ndim != 2 or not len(X) or not np.isfinite(X).all():
        raise DataError(f"embeddings must be a non-empty finite 2-D array, got shape {X.shape}",
                        field="embeddings")
    k = default_k(len(X)) if k is None else k
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(X):
        raise DataError(f"k must be an integer in [1, {len(X)}], got {k!r}", field="k")
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    X = X / np.where(norms > 0, norms, 1.0)
    model = KMeans(n_clusters=int(k), n_init=N_INIT, random_state=random_state)
    return model.fit_predict(X).astype(np.int32)


def pair_clusters(pairs: pd.DataFrame, doc_clusters: np.ndarray) -> np.ndarray:
    """The cluster of each pair's document; ``doc_clusters`` is aligned with the did categories."""
    doc_clusters = np.asarray(doc_clusters)
    if len(doc_clusters) != len(pairs["did"].cat.categories):
        raise DataError(f"{len(doc_clusters)} document clusters for "
                        f"{len(pairs['did'].cat.categories)} documents", field="doc_clusters")
    return doc_clusters[pairs["did"].cat.codes.to_numpy()]


def same_cluster_as_positive(pairs: pd.DataFrame, doc_clusters: np.ndarray, *,
                             positives: pd.DataFrame | None = None) -> np.ndarray:
    """Per row: 1.0 when the document shares a cluster with a positive of its query, 0.0 when
    not, NaN when the query has no labelled positive. ``positives`` (default: the rows of
    ``pairs`` with label 1) must share the qid and did categories of ``pairs``."""
    positives = pairs[pairs["label"] == 1] if positives is None else positives[positives["label"] == 1]
    if not (positives["qid"].cat.categories.equals(pairs["qid"].cat.categories)
            and positives["did"].cat.categories.equals(pairs["did"].cat.categories)):
        raise DataError("positives must share the qid/did categories of pairs", field="positives")
    clusters = pair_clusters(pairs, doc_clusters).astype(np.int64)
    pos_clusters = pair_clusters(positives, doc_clusters).astype(np.int64)
    width = int(np.max(doc_clusters, initial=0)) + 1
    pos_q = positives["qid"].cat.codes.to_numpy().astype(np.int64)
    q = pairs["qid"].cat.codes.to_numpy().astype(np.int64)
    out = np.isin(q * width + clusters, pos_q * width + pos_clusters).astype(np.float64)
    out[~np.isin(q, pos_q)] = np.nan
    return out


def cluster_distribution(pairs: pd.DataFrame, doc_clusters: np.ndarray, *,
                         k: int | None = None) -> pd.DataFrame:
    """Tidy counts of negatives per (source, cluster): ``source, cluster, negatives, share``.

    Every cluster 0..k-1 appears for every source (zeros included), so two sources' rows line
    up; ``k`` defaults to ``max(doc_clusters) + 1``.
    """
    k = int(np.max(doc_clusters, initial=-1)) + 1 if k is None else k
    negatives = pairs[pairs["label"] == 0]
    clusters = pair_clusters(negatives, doc_clusters)
    sources = negatives["source"].astype(str).to_numpy()
    names = sorted(set(sources))
    rows = []
    for name in names:
        counts = np.bincount(clusters[sources == name], minlength=k)
        rows.append(pd.DataFrame({"source": name, "cluster": np.arange(k, dtype=np.int32),
                                  "negatives": counts, "share": counts / max(counts.sum(), 1)}))
    if not rows:
        return pd.DataFrame({"source": pd.Series(dtype=str), "cluster": pd.Series(dtype=np.int32),
                             "negatives": pd.Series(dtype=np.int64), "share": pd.Series(dtype=float)})
    return pd.concat(rows, ignore_index=True)


def entropy(shares: np.ndarray) -> float:
    """Shannon entropy in nats of a distribution (zeros contribute nothing)."""
    p = np.asarray(shares, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in base 2 (in [0, 1]) of two distributions over the same
    clusters; counts are normalised first."""
    p, q = (np.asarray(a, dtype=np.float64) for a in (p, q))
    if p.shape != q.shape or (p < 0).any() or (q < 0).any() or p.sum() <= 0 or q.sum() <= 0:
        raise DataError("distributions must be non-negative, non-empty and of the same length",
                        field="distribution")
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    return min(1.0, max(0.0, 0.5 * kl(p) + 0.5 * kl(q)))


def cluster_summary(pairs: pd.DataFrame, doc_clusters: np.ndarray, *, k: int | None = None,
                    positives: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per source: ``negatives, clusters_used, entropy, normalized_entropy, same_cluster_share``
    (share of negatives in their positive's cluster, over negatives whose query has one)."""
    distribution = cluster_distribution(pairs, doc_clusters, k=k)
    k = int(distribution["cluster"].max()) + 1 if len(distribution) else 0
    same = same_cluster_as_positive(pairs, doc_clusters, positives=positives)
    negative = pairs["label"].to_numpy() == 0
    sources = pairs["source"].astype(str).to_numpy()
    rows = []
    for name, part in distribution.groupby("source", sort=True):
        h = entropy(part["share"].to_numpy())
        mask = negative & (sources == name)
        known = same[mask][~np.isnan(same[mask])]
        rows.append({"source": name, "negatives": int(part["negatives"].sum()),
                     "clusters_used": int((part["negatives"] > 0).sum()), "entropy": h,
                     "normalized_entropy": h / np.log(k) if k > 1 else 0.0,
                     "same_cluster_share": float(known.mean()) if len(known) else np.nan})
    return pd.DataFrame(rows, columns=["source", "negatives", "clusters_used", "entropy",
                                       "normalized_entropy", "same_cluster_share"])


def cluster_overlap(pairs: pd.DataFrame, doc_clusters: np.ndarray, *,
                    k: int | None = None) -> pd.DataFrame:
    """Jensen-Shannon divergence (base 2) between every two sources' cluster distributions:
    ``source_a, source_b, js_divergence`` with ``source_a < source_b``."""
    distribution = cluster_distribution(pairs, doc_clusters, k=k)
    shares = {name: part["negatives"].to_numpy() for name, part in distribution.groupby("source")}
    names = sorted(name for name, counts in shares.items() if counts.sum() > 0)
    rows = [{"source_a": a, "source_b": b, "js_divergence": js_divergence(shares[a], shares[b])}
            for i, a in enumerate(names) for b in names[i + 1:]]
    return pd.DataFrame(rows, columns=["source_a", "source_b", "js_divergence"])

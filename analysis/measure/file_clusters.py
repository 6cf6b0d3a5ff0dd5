"""Document clusters of the union candidates, and how each selection spreads over them.

- Clusters: k-means on the yardstick's document embeddings when it has them
  (``analysis.measure.clusters.kmeans_labels``); otherwise, so that no model is loaded for a
  pool or a file's scores, mini-batch k-means (seeded) on TF-IDF vectors of the texts
  (scikit-learn, stop words removed, L2-normalised: nearness is cosine), fitted on a seeded
  sample of at most 4,000 documents. The basis is
  stated beside every cluster chart (:data:`BASES`).
- :func:`share_table`: selection x cluster share of its negatives, clusters ordered by their
  size over all selections, the first ``top`` (15) shown and the rest summed as ``other``.
- :func:`js_matrix`: the Jensen-Shannon divergence (base 2, in [0, 1]) between every two
  selections' full cluster distributions (``analysis.measure.clusters.js_divergence``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.measure.clusters import default_k, js_divergence, kmeans_labels

BASES = {"embeddings": "k-means on the yardstick's document embeddings",
         "tfidf": "k-means on TF-IDF of the document texts (no model)"}
TOP = 15
MAX_K = 30


FIT_SAMPLE = 4000


def doc_clusters(texts: pd.Series, *, embeddings: np.ndarray | None = None, seed: int = 0,
                 k: int | None = None, term_counts=None) -> tuple[np.ndarray, str]:
    """(cluster per document, basis key of :data:`BASES`); ``term_counts``: the documents' term
    counts when already made (``analysis.measure.file_lexical.counts``). TF-IDF k-means is fitted
    on a seeded sample of at most ``FIT_SAMPLE`` documents, then every document is assigned."""
    n = len(texts)
    k = min(default_k(n), MAX_K) if k is None else k
    if n <= 1:
        return np.zeros(n, dtype=np.int32), "tfidf"
    if embeddings is not None:
        return kmeans_labels(embeddings, k=k, random_state=seed), "embeddings"
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

    try:
        X = (TfidfTransformer(sublinear_tf=True).fit_transform(term_counts) if term_counts is not None
             else TfidfVectorizer(stop_words="english", dtype=np.float32, sublinear_tf=True)
             .fit_transform(texts.astype(str).tolist()))
    except ValueError:  # nothing but stop words
        return np.zeros(n, dtype=np.int32), "tfidf"
    rng = np.random.default_rng(seed)
    fit_rows = np.sort(rng.choice(n, size=min(n, FIT_SAMPLE), replace=False))
    model = MiniBatchKMeans(n_clusters=int(min(k, len(fit_rows))), random_state=seed, n_init=1,
                            batch_size=1024, max_iter=30).fit(X[fit_rows])
    return model.predict(X).astype(np.int32), "tfidf"


def _counts(selections: dict, doc_of_row: np.ndarray, clusters: np.ndarray) -> dict[str, np.ndarray]:
    k = int(clusters.max()) + 1 if len(clusters) else 0
    return {name: np.bincount(clusters[doc_of_row[rows]], minlength=k) for name, rows in selections.items()}


def share_table(selections: dict, doc_of_row: np.ndarray, clusters: np.ndarray, *,
                top: int = TOP) -> pd.DataFrame:
    """Wide: one row per selection, one column per cluster (``c<N>`` by size, then ``other``),
    each the share of the selection's negatives in that cluster."""
    counts = _counts(selections, doc_of_row, clusters)
    if not counts:
        return pd.DataFrame()
    total = np.sum(list(counts.values()), axis=0)
    order = np.argsort(-total, kind="stable")
    shown, rest = order[:top], order[top:]
    table = {}
    for name, c in counts.items():
        share = c / max(c.sum(), 1)
        row = {f"c{i}": share[i] for i in shown if total[i] > 0}
        if len(rest) and total[rest].sum() > 0:
            row["other"] = share[rest].sum()
        table[name] = row
    return pd.DataFrame.from_dict(table, orient="index").fillna(0.0)


def js_matrix(selections: dict, doc_of_row: np.ndarray, clusters: np.ndarray) -> pd.DataFrame:
    counts = _counts(selections, doc_of_row, clusters)
    names = list(counts)
    m = np.zeros((len(names), len(names)))
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            if counts[a].sum() and counts[b].sum():
                m[i, j] = m[j, i] = js_divergence(counts[a], counts[b])
            else:
                m[i, j] = m[j, i] = np.nan
    return pd.DataFrame(m, index=pd.Index(names, name="selection"), columns=names)


def top_shares(long: pd.DataFrame, *, top: int = TOP) -> pd.DataFrame:
    """:func:`share_table` from a long ``source, cluster, negatives`` table (the strategies'
    ``cluster_distribution``): clusters by total size, the first ``top``, then ``other``."""
    counts = long.pivot_table(index="source", columns="cluster", values="negatives",
                              aggfunc="sum", fill_value=0, sort=False)
    order = counts.sum().sort_values(ascending=False, kind="stable").index
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
    out = shares[order[:top]].rename(columns=lambda c: f"c{c}")
    if len(order) > top:
        out["other"] = shares[order[top:]].sum(axis=1)
    return out

"""Synthetic candidate pools with realistic score distributions, for tests and benchmarks.

``make_pool`` draws, per query, what a cosine-similarity retriever over a large corpus produces:

- positive scores ``s_pos ~ N(0.7, 0.08)``, clipped to [0.05, 0.99] (as all-MiniLM-L6-v2 gives
  relevant passages on MS MARCO-like data);
- ``pool_size`` candidate scores forming a decreasing sequence: the top ``pool_size`` of a
  sample of ``CORPUS_SIZE`` draws from ``N(mu_q, sd_q)`` (what retrieving the best of a corpus
  gives), with a per-query level ``mu_q ~ N(0.28, 0.07)`` and spread ``sd_q ~ U(0.06, 0.10)``,
  clipped to [-0.99, 0.99]. The top order statistics are drawn exactly, from exponential
  spacings, without drawing the whole sample. About 20% of queries get a candidate above their
  positive (the false-negative-like cases real pools have) and about 2% of positives fall
  outside the top 100;
- raw ranks (1-based, positives included) from sorting positives and candidates together, so
  ranks always agree with scores; the pool keeps the top ``pool_size`` rows plus every positive,
  a positive beyond the top ``pool_size`` getting a rank past it (still in score order);
- document ids distinct within a query but shared across queries (each document serves about
  ``num_queries * pool_size / num_docs`` queries), and optionally a ``cluster`` label per document.

Everything is vectorised over a (queries x candidates) matrix and the result goes through the
validating ``NegativeSet`` constructor: about 0.2 s of CPU for 1,000,000 rows (10,000 x 100) and
2.5 s for 5,000,000 (100,000 x 50) on the 2-core development box. Dtypes are the data
model's compact ones (categorical ids, int8 label, int32 rank, float32 score). Same arguments,
same pool.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet

POSITIVE_MEAN, POSITIVE_STD = 0.7, 0.08
LEVEL_MEAN, LEVEL_STD = 0.28, 0.07
SPREAD_RANGE = (0.06, 0.10)
CORPUS_SIZE = 20_000


def make_pool(*, num_queries: int = 1000, pool_size: int = 100, seed: int = 0,
              positives_per_query: int = 1, num_docs: int | None = None,
              num_clusters: int | None = None) -> NegativeSet:
    """A pool NegativeSet (source ``"pool"``) of ``num_queries`` x ``pool_size`` candidates."""
    for name, value, low in (("num_queries", num_queries, 1), ("pool_size", pool_size, 1),
                             ("positives_per_query", positives_per_query, 1)):
        if not isinstance(value, int) or value < low:
            raise DataError(f"{name} must be an integer >= {low}, got {value!r}", field=name)
    width = pool_size + positives_per_query
    if num_docs is None:
        num_docs = max(10 * width, num_queries * width // 20)
    if num_docs < width:
        raise DataError(f"num_docs ({num_docs}) must hold {width} distinct documents per query",
                        field="num_docs")
    if num_clusters is not None and num_clusters < 1:
        raise DataError(f"num_clusters must be >= 1, got {num_clusters}", field="num_clusters")
    rng = np.random.default_rng(seed)
    q, n, p = num_queries, pool_size, positives_per_query

    positive = np.clip(rng.normal(POSITIVE_MEAN, POSITIVE_STD, (q, p)), 0.05, 0.99)
    level = rng.normal(LEVEL_MEAN, LEVEL_STD, (q, 1))
    spread = rng.uniform(*SPREAD_RANGE, (q, 1))
    candidates = np.clip(level + spread * _top_normal_order_statistics(rng, q, n), -0.99, 0.99)
    scores = np.concatenate([positive, candidates], axis=1).astype(np.float32)
    labels = np.zeros((q, width), dtype=np.int8)
    labels[:, :p] = 1

    order = np.argsort(-scores, axis=1, kind="stable")
    scores = np.take_along_axis(scores, order, axis=1)
    labels = np.take_along_axis(labels, order, axis=1)
    rank = np.broadcast_to(np.arange(1, width + 1, dtype=np.int32), (q, width)).copy()
    beyond = rank > n
    rank += (beyond * rng.integers(0, 4 * n, (q, 1))).astype(np.int32)
    keep = ~beyond | (labels == 1)

    step = max(1, (num_docs - 1) // width)
    slots = rng.integers(0, num_docs, (q, 1)) + np.cumsum(rng.integers(1, step + 1, (q, width)), axis=1)
    doc = (slots % num_docs).astype(np.int64)
    qcode = np.broadcast_to(np.arange(q, dtype=np.int64)[:, None], (q, width))

    qids = pd.Index([f"q{i}" for i in range(q)], dtype=object, name="qid")
    dids = pd.Index([f"d{i}" for i in range(num_docs)], dtype=object, name="did")
    pairs = pd.DataFrame({
        "qid": pd.Categorical.from_codes(qcode[keep], categories=qids),
        "did": pd.Categorical.from_codes(doc[keep], categories=dids),
        "label": labels[keep],
        "source": pd.Categorical.from_codes(np.zeros(int(keep.sum()), dtype=np.int8), ["pool"]),
        "rank": rank[keep],
        "score": scores[keep],
    })
    if num_clusters is not None:
        cluster_of_doc = rng.integers(0, num_clusters, num_docs).astype(np.int32)
        pairs["cluster"] = cluster_of_doc[doc[keep]]
    queries = pd.DataFrame({"qid": qids, "text": [f"synthetic query {i}" for i in range(q)]})
    docs = pd.DataFrame({"did": dids, "text": [f"synthetic document {i}" for i in range(num_docs)]})
    meta = {"generator": "analysis.scoring.synthetic.make_pool", "seed": seed, "pool_size": pool_size,
            "positives_per_query": p}
    return NegativeSet(queries, docs, pairs, format="synthetic", meta=meta)


def _top_normal_order_statistics(rng: np.random.Generator, rows: int, top: int) -> np.ndarray:
    """Per row, the ``top`` largest of ``max(CORPUS_SIZE, 10 * top)`` standard normals, descending.

    The k smallest of m uniforms are ``S_k / S_(m+1)`` with ``S`` the cumulative sums of
    standard exponentials (Rényi's representation); ``S_(m+1) - S_top`` is Gamma(m + 1 - top).
    Mapping ``u -> -ndtri(u)`` turns the smallest uniforms into the largest normals.
    """
    from scipy.special import ndtri

    size = max(CORPUS_SIZE, 10 * top)
    spacings = np.cumsum(rng.standard_exponential((rows, top)), axis=1)
    total = spacings[:, -1:] + rng.standard_gamma(size + 1 - top, (rows, 1))
    return -ndtri(spacings / total)

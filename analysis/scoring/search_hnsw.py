"""Approximate top-N search with a faiss HNSW index, and its recall measured against exact.

Opt-in (``python -m analysis pool --search hnsw``); the exact search in
``analysis.scoring.pool`` stays the default. Rules:

- The index is ``faiss.IndexHNSWFlat`` over inner product of the L2-normalised float32
  embeddings (cosine), ``M`` links per node, ``ef_construction`` and ``ef_search`` as given
  (``ef_search`` is raised to at least ``top_n``). faiss builds HNSW with a fixed level
  generator, so the same embeddings give the same index and the same result.
- Scores of returned documents are recomputed as the float32 dot product, exactly as the exact
  search computes them; the top list is ordered by score, ties by corpus position.
- Ranks are APPROXIMATE: a returned document's rank is its position in the approximate list;
  a requested pair (labelled positive, input pair) found there gets that position, otherwise
  ``1 + #{returned documents scoring higher}`` which, for a pair below the list, is ``k + 1``:
  a lower bound. The pool's settings say ``"ranks": "approximate"``.
- Recall@k is measured on a seeded sample of queries: the share of the exact top-k (ties by
  corpus position, as in the exact search) that the approximate top-k holds.
"""

from __future__ import annotations

import numpy as np

# benchmarks/hnsw_scale.py (RESULTS.md): efConstruction 200 ran over 5 min for 100,000
# documents (dim 384) on 2 cores; 64 built 1,000,000 (dim 64) in ~6 min, and with efSearch 512
# gave recall@100 0.993 on clustered data (40: 0.962 even at efSearch 1024). Search is cheap
# next to the build.
DEFAULT_M = 32
DEFAULT_EF_CONSTRUCTION = 64
DEFAULT_EF_SEARCH = 512
RECALL_SAMPLE = 200


def hnsw_search(query_emb: np.ndarray, doc_emb: np.ndarray, *, top_n: int,
                requests: tuple[np.ndarray, np.ndarray] | None = None, m: int = DEFAULT_M,
                ef_construction: int = DEFAULT_EF_CONSTRUCTION, ef_search: int = DEFAULT_EF_SEARCH,
                threads: int | None = None, stats: dict | None = None):
    """(top_docs, top_scores, request scores, request ranks) as ``exact_search`` returns them,
    found by an HNSW index; see the module rules. ``stats`` gets the build and search seconds."""
    import time

    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
    query_emb = np.ascontiguousarray(query_emb, dtype=np.float32)
    doc_emb = np.ascontiguousarray(doc_emb, dtype=np.float32)
    k = min(top_n, len(doc_emb))
    index = faiss.IndexHNSWFlat(doc_emb.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    started = time.perf_counter()
    index.add(doc_emb)
    built = time.perf_counter()
    index.hnsw.efSearch = max(ef_search, k)
    _, found = index.search(query_emb, k)
    if stats is not None:
        stats.update(build_seconds=built - started, search_seconds=time.perf_counter() - built)
    top_docs = _order(query_emb, doc_emb, found)
    top_scores = np.einsum("qd,qkd->qk", query_emb, doc_emb[top_docs]).astype(np.float32)
    req_q, req_d = (np.asarray(r, dtype=np.int64) for r in requests) if requests is not None \
        else (np.empty(0, np.int64), np.empty(0, np.int64))
    scores = np.einsum("rd,rd->r", query_emb[req_q], doc_emb[req_d]).astype(np.float32)
    hit = top_docs[req_q] == req_d[:, None]
    ranks = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1,
                     1 + (top_scores[req_q] > scores[:, None]).sum(axis=1)).astype(np.int64)
    return top_docs, top_scores, scores, ranks


def _order(query_emb: np.ndarray, doc_emb: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Each row of ``found`` sorted by exact float32 score, best first, ties by position.
    faiss pads a short result with -1; those slots are filled with unused documents."""
    if (found < 0).any():
        for row in np.flatnonzero((found < 0).any(axis=1)):
            have = found[row][found[row] >= 0]
            spare = np.setdiff1d(np.arange(len(doc_emb)), have)[:int((found[row] < 0).sum())]
            found[row] = np.concatenate([have, spare])
    found = found.astype(np.int64)
    scores = np.einsum("qd,qkd->qk", query_emb, doc_emb[found]).astype(np.float32)
    order = np.array([np.lexsort((f, -s)) for f, s in zip(found, scores)]).reshape(found.shape)
    return np.take_along_axis(found, order, axis=1)


def measure_recall(query_emb: np.ndarray, doc_emb: np.ndarray, top_docs: np.ndarray, *,
                   sample: int = RECALL_SAMPLE, seed: int = 0) -> dict:
    """Recall@k of ``top_docs`` against the exact top-k on ``sample`` seeded queries."""
    num_q, k = top_docs.shape
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(num_q, size=min(sample, num_q), replace=False))
    hits = 0
    for start in range(0, len(picked), 64):
        rows = picked[start:start + 64]
        scores = np.asarray(query_emb[rows], dtype=np.float32) @ np.asarray(doc_emb, np.float32).T
        exact = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        hits += sum(len(np.intersect1d(e, top_docs[r])) for e, r in zip(exact, rows))
    return {"recall_at": k, "recall": hits / (len(picked) * k), "recall_queries": len(picked),
            "recall_seed": seed}

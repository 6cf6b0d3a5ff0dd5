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
- A pool build keeps the built index in its search checkpoint folder
  (:mod:`analysis.scoring.search_blocks`, keyed by the embeddings and settings; the file name
  carries M and efConstruction) until the search is done, so a build killed after the index
  was built (the bulk of the time) reads it back instead of building it again.
- Recall@k is measured on a seeded sample of queries: the share of the exact top-k (ties by
  corpus position, as in the exact search) that the approximate top-k holds.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

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
                threads: int | None = None, stats: dict | None = None,
                index_dir: str | os.PathLike | None = None):
    """(top_docs, top_scores, request scores, request ranks) as ``exact_search`` returns them,
    found by an HNSW index; see the module rules. ``stats`` gets the build and search seconds.
    ``index_dir``: the built index is kept there (written atomically) and read back by a search
    started again, so a build killed after the index was built does not build it again."""
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
    query_emb = np.ascontiguousarray(query_emb, dtype=np.float32)
    doc_emb = np.ascontiguousarray(doc_emb, dtype=np.float32)
    k = min(top_n, len(doc_emb))
    path = Path(index_dir) / f"hnsw-m{m}-efc{ef_construction}.faiss" if index_dir else None
    started = time.perf_counter()
    index = _read_index(path, len(doc_emb)) if path is not None else None
    if index is None:
        index = faiss.IndexHNSWFlat(doc_emb.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.add(doc_emb)
        if path is not None:
            _write_index(index, path)
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


def _read_index(path: Path, size: int):
    import faiss

    if not path.is_file():
        return None
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        index, reason = None, str(exc).splitlines()[0]
    else:
        reason = f"{index.ntotal} documents, not {size}"
    if index is None or index.ntotal != size:
        warnings.warn(f"HNSW index {path} is unreadable ({reason}); it is built again", stacklevel=3)
        return None
    return index


def _write_index(index, path: Path) -> None:
    import faiss

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        faiss.write_index(index, partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)


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

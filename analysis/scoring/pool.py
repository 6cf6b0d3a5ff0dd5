"""Candidate pools: exact cosine search over the whole corpus, with exact raw ranks.

A pool (DESIGN.md section 2) is a NegativeSet whose ``source="pool"`` rows are, per query,
the top-N documents of the corpus by the bi-encoder's cosine score, plus every labelled
positive of the query even when it ranks below N. ``label`` is 1 for the set's labelled
positives (any source) and 0 otherwise.

Rules:

- ``score`` is the dot product of L2-normalised float32 embeddings (cosine), as computed by
  ``query_chunk @ corpus.T`` in float32.
- ``rank`` is the 1-based raw rank over the whole corpus, positives included. Ties are broken
  by corpus order, so ranks are a permutation of 1..len(corpus) per query:
  ``rank = 1 + #{documents scoring strictly higher} + #{equal score, earlier in the corpus}``.
  The top-N rows hold ranks 1..N exactly. (``-0.0`` and ``0.0`` count as equal.)
- The search runs over query chunks sized so each chunk's working memory (16 bytes per
  query x document: float32 scores, then uint64 keys ``score bits << 32 | ~doc position`` that
  encode the order above) stays near ``CHUNK_BYTES``; top-N is ``numpy.partition`` on the keys.
- Corpus: the set's own documents, or a separate corpus plus any set documents it lacks (by id).
  A corpus document whose id is new but whose text equals a set document's is the same
  document (formats without ids invent them): it is dropped and counted in the settings. A
  corpus document with a set document's id but different text is an error. Corpus order: the
  corpus's documents first, then the set's missing ones.
- Pairs already in the set (a loaded mined file) are kept under their own source, with
  ``score`` filled by the pool model where missing (a file's own scores are kept) and
  ``rank`` set to the exact rank in the pool model's ranking, so every file has a rank
  distribution. Rows of an input ``source="pool"`` are replaced by the new pool.
- The result keeps only documents some pair refers to, in order of first appearance; ``meta``
  gains ``"pool"``: the settings (model, prompts, top_n, cross-encoder, corpus).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet, pair_codes
from analysis.scoring import search_blocks as blocks
from analysis.scoring.corpus import merge_corpus
from analysis.scoring.encode import Encoder, load_encoder
from analysis.scoring.rerank import Reranker, add_ce_scores, load_cross_encoder
from analysis.scoring.search_blocks import SearchResult

Progress = Callable[[int, int, str], None]
POOL_SOURCE = "pool"
DEFAULT_TOP_N = 100
CHUNK_BYTES = 256 * 2**20
_BYTES_PER_ENTRY = 16
_LOW32 = np.uint64(0xFFFFFFFF)


def exact_search(query_emb: np.ndarray, doc_emb: np.ndarray, *, top_n: int,
                 requests: tuple[np.ndarray, np.ndarray] | None = None,
                 chunk_size: int | None = None, progress: Progress | None = None) -> SearchResult:
    """Exact top-``top_n`` search of normalised embeddings, plus scores and ranks of
    ``requests`` = (query positions, corpus positions). See the module rules for ties."""
    query_emb = _matrix(query_emb, "query_emb")
    doc_emb = _matrix(doc_emb, "doc_emb")
    num_q, num_d = len(query_emb), len(doc_emb)
    if query_emb.shape[1] != doc_emb.shape[1]:
        raise DataError(f"query dimension {query_emb.shape[1]} != document dimension "
                        f"{doc_emb.shape[1]}", field="doc_emb")
    if not 0 < num_d < 2**32:
        raise DataError(f"the corpus must hold 1 to 2**32-1 documents, not {num_d}", field="corpus")
    _check_count(top_n, "top_n")
    k = min(top_n, num_d)
    req_q, req_d = (np.asarray(r, dtype=np.int64) for r in requests) if requests is not None \
        else (np.empty(0, np.int64), np.empty(0, np.int64))
    if len(req_q) != len(req_d) or (len(req_q) and (req_q.min() < 0 or req_q.max() >= num_q
                                                     or req_d.min() < 0 or req_d.max() >= num_d)):
        raise DataError("requests must be pairs of valid query and corpus positions", field="requests")
    if chunk_size is None:
        chunk_size = max(1, CHUNK_BYTES // (num_d * _BYTES_PER_ENTRY))
    _check_count(chunk_size, "chunk_size")
    rank_batch = max(1, CHUNK_BYTES // (num_d * 9))
    low = _LOW32 - np.arange(num_d, dtype=np.uint64)
    order = np.argsort(req_q, kind="stable")
    bounds = np.searchsorted(req_q[order], np.arange(0, num_q + chunk_size, chunk_size))
    top_docs = np.empty((num_q, k), dtype=np.int64)
    top_scores = np.empty((num_q, k), dtype=np.float32)
    scores = np.empty(len(req_q), dtype=np.float32)
    ranks = np.empty(len(req_q), dtype=np.int64)
    for number, start in enumerate(range(0, num_q, chunk_size)):
        stop = min(start + chunk_size, num_q)
        keys = _order_keys(query_emb[start:stop] @ doc_emb.T, low)
        idx = order[bounds[number]:bounds[number + 1]]
        rows, req_keys = req_q[idx] - start, keys[req_q[idx] - start, req_d[idx]]
        scores[idx] = _key_scores(req_keys)
        for sub in range(0, len(idx), rank_batch):
            part = slice(sub, sub + rank_batch)
            ranks[idx[part]] = 1 + (keys[rows[part]] > req_keys[part, None]).sum(axis=1)
        keys.partition(num_d - k, axis=1)
        top = np.sort(keys[:, num_d - k:], axis=1)[:, ::-1]
        top_docs[start:stop] = (_LOW32 - (top & _LOW32)).astype(np.int64)
        top_scores[start:stop] = _key_scores(top)
        if progress:
            progress(stop, num_q, "search")
    return SearchResult(top_docs, top_scores, scores, ranks)


def _order_keys(scores: np.ndarray, low: np.ndarray) -> np.ndarray:
    """uint64 keys, larger = better: order-preserving float32 bits above ~corpus position."""
    scores += np.float32(0.0)                      # -0.0 -> 0.0
    bits = scores.view(np.uint32)
    flip = bits >> np.uint32(31)
    np.negative(flip, out=flip)                    # 0 or 0xFFFFFFFF
    flip |= np.uint32(0x80000000)
    flip ^= bits
    keys = flip.astype(np.uint64)
    del flip
    keys <<= np.uint64(32)
    keys |= low
    return keys


def _key_scores(keys: np.ndarray) -> np.ndarray:
    """The exact float32 scores encoded in order keys."""
    high = (keys >> np.uint64(32)).astype(np.uint32)
    mask = (high >> np.uint32(31)) - np.uint32(1)
    mask |= np.uint32(0x80000000)
    return (high ^ mask).view(np.float32)


def build_pool(nset: NegativeSet, *, corpus: pd.DataFrame | NegativeSet | None = None,
               corpus_name: str | None = None, model: str | os.PathLike | Encoder | None = None,
               query_prompt: str | None = None, document_prompt: str | None = None,
               top_n: int = DEFAULT_TOP_N, cross_encoder: str | os.PathLike | Reranker | None = None,
               batch_size: int = 32, chunk_size: int | None = None,
               cache_dir: str | os.PathLike | None = None, merge_texts: bool = False,
               search: str = "exact", checkpoint: str | os.PathLike | None = None,
               progress: Progress | None = None) -> NegativeSet:
    """Score and rank ``nset``'s queries against a corpus; see the module rules.

    ``model`` is an :class:`~analysis.scoring.encode.Encoder` or a name/path (None: the bundled
    all-MiniLM-L6-v2); ``cross_encoder`` likewise a :class:`~analysis.scoring.rerank.Reranker` or a
    name/path, adding ``ce_score`` to every row. ``corpus`` is a (did, text) table or a
    NegativeSet whose documents are used. ``merge_texts``: equal texts are one document (one
    query), as sentence-transformers ranks them (:mod:`analysis.scoring.dedup`). Search blocks
    are checkpointed under ``checkpoint`` (default ``<cache dir>/search``). The settings record
    the engine and its measured encode rate (``encode_rate``: texts/s over the
    ``encoded_texts`` the cache lacked).
    """
    _check_count(top_n, "top_n")
    _check_count(batch_size, "batch_size")
    docs, merged = merge_corpus(nset, corpus, name=corpus_name)
    text_merged = None
    if merge_texts:
        from analysis.scoring.dedup import merge_equal_texts
        nset, docs, text_merged = merge_equal_texts(nset, docs)
    encoder = model if isinstance(model, Encoder) else load_encoder(model)
    reranker = cross_encoder if cross_encoder is None or isinstance(cross_encoder, Reranker) \
        else load_cross_encoder(cross_encoder)
    encoded_before, started = encoder.encoded, time.perf_counter()
    query_emb = encoder.embed(nset.queries["text"], role="query", prompt=query_prompt,
                              batch_size=batch_size, cache_dir=cache_dir, progress=progress)
    doc_emb = encoder.embed(docs["text"], role="document", prompt=document_prompt,
                            batch_size=batch_size, cache_dir=cache_dir, progress=progress)
    settings = {
        "model": encoder.name, "model_identity": encoder.identity,
        "query_prompt": query_prompt, "document_prompt": document_prompt, "top_n": top_n,
        "cross_encoder": reranker.name if reranker else None,
        "corpus": corpus_name or ("set documents" if corpus is None else "corpus"),
        "corpus_size": len(docs), "corpus_merged_by_text": merged,
        **({"merged_equal_texts": text_merged} if merge_texts else {}),
        **_encode_record(encoder.encoded - encoded_before, time.perf_counter() - started),
    }
    if checkpoint is None:
        from analysis.scoring.embedding_cache import default_cache_dir
        checkpoint = Path(cache_dir or default_cache_dir()) / "search"
    pool = pool_from_embeddings(nset, docs, query_emb, doc_emb, top_n=top_n, search=search,
                                chunk_size=chunk_size, progress=progress, settings=settings,
                                checkpoint=checkpoint)
    if reranker is not None:
        pool = add_ce_scores(pool, reranker, batch_size=batch_size, progress=progress)
    return pool


def pool_from_embeddings(nset: NegativeSet, docs: pd.DataFrame, query_emb: np.ndarray,
                         doc_emb: np.ndarray, *, top_n: int = DEFAULT_TOP_N,
                         chunk_size: int | None = None, progress: Progress | None = None,
                         settings: dict | None = None, search: str = "exact",
                         checkpoint: str | os.PathLike | None = None,
                         block: int | None = None) -> NegativeSet:
    """The pool of ``nset`` over ``docs`` (a merged corpus holding every set document) given
    embeddings aligned with ``nset.queries`` and ``docs``: the search without the encoding.
    The exact search runs in query blocks checkpointed under ``checkpoint`` (a folder; None:
    not checkpointed), so a killed build resumes (:mod:`analysis.scoring.search_blocks`); an
    HNSW search keeps its built index there."""
    num_d = len(docs)
    if len(query_emb) != len(nset.queries) or len(doc_emb) != num_d:
        raise DataError(f"{len(query_emb)} query and {len(doc_emb)} document embeddings for "
                        f"{len(nset.queries)} queries and {num_d} documents", field="embeddings")
    corpus_pos = pd.Index(docs["did"].astype(str)).get_indexer(nset.docs["did"].astype(str))
    if (corpus_pos < 0).any():
        raise DataError(f"document {nset.docs['did'].iloc[np.argmax(corpus_pos < 0)]!r} of the "
                        "set is missing from the corpus", field="did")
    kept = nset.pairs[nset.pairs["source"].astype(str) != POOL_SOURCE].reset_index(drop=True)
    q_codes, d_codes = pair_codes(kept)
    kept_keys = q_codes.astype(np.int64) * num_d + corpus_pos[d_codes]
    req_keys, inverse = np.unique(kept_keys, return_inverse=True)
    positive_keys = np.unique(kept_keys[kept["label"].to_numpy() == 1])
    settings = dict(settings or {"top_n": top_n, "corpus_size": num_d})
    requests = np.divmod(req_keys, num_d)
    if not (search in ("exact", "hnsw") or callable(search)):  # callable: engine_ray's blocks
        raise DataError(f"search must be 'exact' or 'hnsw', not {search!r}", field="search")
    size = blocks.block_size(len(query_emb), block)
    folder = None if checkpoint is None else blocks.checkpoint_dir(
        checkpoint, query_emb, doc_emb, top_n=top_n, requests=requests, block=size,
        kind="hnsw" if search == "hnsw" else "exact")
    if search == "hnsw":  # approximate, opt-in: analysis.scoring.search_hnsw
        from analysis.scoring.search_hnsw import hnsw_search, measure_recall
        found = SearchResult(*hnsw_search(query_emb, doc_emb, top_n=top_n, requests=requests,
                                          index_dir=folder))
        settings.update(search="hnsw", ranks="approximate",
                        **measure_recall(query_emb, doc_emb, found.top_docs))
    else:
        run = search(doc_emb, top_n=top_n) if callable(search) else blocks.local_blocks(
            exact_search, top_n=top_n, doc_emb=doc_emb, chunk_size=chunk_size)
        found = blocks.blockwise_search(query_emb, doc_emb, top_n=top_n, requests=requests,
                                        run_blocks=run, directory=folder, block=size,
                                        progress=progress)
    blocks.clear(folder)  # the search is whole: its checkpoint is no longer needed

    num_q, k = found.top_docs.shape
    pos_ranks = found.ranks[np.searchsorted(req_keys, positive_keys)]
    outside = pos_ranks > k
    pos_q, pos_d = np.divmod(positive_keys[outside], num_d)
    pool_q = np.concatenate([np.repeat(np.arange(num_q), k), pos_q])
    pool_d = np.concatenate([found.top_docs.ravel(), pos_d])
    pool_rank = np.concatenate([np.tile(np.arange(1, k + 1), num_q), pos_ranks[outside]])
    pool_score = np.concatenate([found.top_scores.ravel(),
                                 found.scores[np.searchsorted(req_keys, positive_keys[outside])]])
    order = np.lexsort((pool_rank, pool_q))
    pool_q, pool_d, pool_rank, pool_score = (a[order] for a in (pool_q, pool_d, pool_rank, pool_score))
    pool_label = np.isin(pool_q * num_d + pool_d, positive_keys).astype(np.int8)

    kept_score = kept["score"].to_numpy(dtype=np.float32)
    kept_score = np.where(np.isnan(kept_score), found.scores[inverse.reshape(-1)], kept_score)
    all_d = np.concatenate([pool_d, corpus_pos[d_codes]])
    used, new_codes = _first_appearance(all_d)
    out_docs = docs.iloc[used].reset_index(drop=True)
    pool_pairs = pd.DataFrame({
        "qid": pd.Categorical.from_codes(pool_q, categories=nset.queries["qid"].astype(str)),
        "label": pool_label, "source": POOL_SOURCE, "rank": pool_rank, "score": pool_score})
    kept = kept.assign(rank=found.ranks[inverse.reshape(-1)], score=kept_score)
    pairs = pd.concat([pool_pairs, kept.drop(columns="did")], ignore_index=True)
    pairs.insert(1, "did", pd.Categorical.from_codes(new_codes, categories=out_docs["did"].astype(str)))
    pairs["qid"] = pairs["qid"].astype(str)
    pairs["source"] = pairs["source"].astype(str)
    meta = {**nset.meta, "pool": settings}
    return NegativeSet(nset.queries, out_docs, pairs, format="pool",
                       skipped=list(nset.skipped), meta=meta)


def _encode_record(encoded: int, seconds: float) -> dict:
    """The engine and its measured encode rate (texts per second over the texts encoded)."""
    return {"engine": "local", "encoded_texts": encoded, "encode_seconds": round(seconds, 3),
            "encode_rate": round(encoded / seconds, 2) if encoded and seconds > 0 else None}


def _first_appearance(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values in order of first appearance, and each value's position among them."""
    distinct, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    return distinct[order], position[inverse.reshape(-1)]


def _matrix(values: np.ndarray, name: str) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=np.float32)
    if array.ndim != 2 or not np.isfinite(array).all():
        raise DataError(f"{name} must be a finite 2-D float array, got shape {array.shape}", field=name)
    return array


def _check_count(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DataError(f"{name} must be a positive integer, got {value!r}", field=name)

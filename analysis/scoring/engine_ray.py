"""The Ray engine for pools (``python -m analysis pool --engine ray``): the same pool as the
local engine, with the encoding and the search spread over a Ray cluster.

- ``address``: an existing cluster (``ray.init(address=...)``); None starts a local Ray, or
  uses the one already running in this process.
- Encoding: the texts missing from the embedding cache, longest first (as the local engine
  orders them), go into a Ray Dataset; ``map_batches`` over an actor pool of ``actors`` actors,
  each loading the model once (on its GPU when the cluster gives it one, else CPU), encodes
  ``ENCODE_CHUNK`` texts per batch with ``Encoder._encode``, the function the local engine
  calls. The driver stores each batch in the embedding cache as it arrives, so a killed build
  resumes from what is cached. Actors ask for ``actor_cpus`` (0.5 by default) so a 2-CPU local
  Ray keeps CPUs free for the read tasks; a whole CPU each starves them and hangs.
- Search: query blocks (``analysis.scoring.search_blocks``, shared with the local engine)
  run ``exact_search`` (the local engine's function) as Ray tasks reading one shared copy of
  the corpus embeddings from the object store; the driver checkpoints each block as it
  finishes and merges them in query order, so rows, ranks and scores equal the local engine's.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from analysis.scoring.embedding_cache import (
    EmbeddingCache,
    default_cache_dir,
    text_keys,
)
from analysis.scoring.encode import (
    DEFAULT_MODEL_NAME,
    ENCODE_CHUNK,
    default_model_path,
    model_identity,
    resolve_model,
)
from analysis.scoring.pool import SearchResult, exact_search

DEFAULT_ACTORS = 2
ACTOR_CPUS = 0.5


def connect(address: str | None = None, *, num_cpus: int | None = None) -> None:
    import ray

    if not ray.is_initialized():
        ray.init(address=address, num_cpus=None if address else num_cpus,
                 include_dashboard=False, log_to_driver=False,
                 ignore_reinit_error=True)


class _EncodeActor:
    """One model per actor; GPU when Ray assigned one."""

    def __init__(self, model: str, batch_size: int, role: str, prompt: str | None):
        import ray

        from analysis.scoring.encode import load_encoder

        device = "cuda" if ray.get_gpu_ids() else "cpu"
        self.encoder = load_encoder(model, device=device)
        self.batch_size, self.role, self.prompt = batch_size, role, prompt

    def __call__(self, batch: dict) -> dict:
        texts = [str(t) for t in batch["text"]]
        vectors = self.encoder._encode(texts, role=self.role, prompt=self.prompt,
                                       batch_size=self.batch_size)
        return {"i": np.asarray(batch["i"]), "vec": list(vectors)}


def ray_embed(model: str | os.PathLike | None, texts, *, role: str, prompt: str | None = None,
              batch_size: int = 32, cache_dir=None, actors: int = DEFAULT_ACTORS,
              actor_cpus: float = ACTOR_CPUS, gpus_per_actor: float = 0.0,
              stats: dict | None = None) -> np.ndarray:
    """Embeddings of ``texts`` (one row per text), encoding cache misses on the cluster."""
    import ray.data

    resolved = resolve_model(model)
    positions: dict[str, int] = {}
    inverse = np.array([positions.setdefault(str(t), len(positions)) for t in texts], np.int64)
    unique = list(positions)
    keys = text_keys(unique)
    cache = EmbeddingCache({"model": model_identity(resolved), "role": role, "prompt": prompt},
                           directory=cache_dir)
    found, cached = cache.lookup(keys)
    missing = np.flatnonzero(~found)
    missing = missing[np.argsort([-len(unique[i]) for i in missing], kind="stable")]
    vectors: np.ndarray | None = None
    if cached is not None:
        vectors = np.empty((len(unique), cached.shape[1]), np.float32)
        vectors[found] = cached
    started = time.perf_counter()
    if len(missing):
        items = [{"i": int(i), "text": unique[i]} for i in missing]
        # at least two batches per actor, each its own block: Ray bundles blocks up to a batch,
        # and one batch of every text kept a single actor busy (Cranfield: 2.0x the local time)
        chunk = max(1, min(ENCODE_CHUNK, -(-len(items) // (2 * actors))))
        data = ray.data.from_items(items, override_num_blocks=-(-len(items) // chunk))
        out = data.map_batches(
            _EncodeActor, fn_constructor_kwargs={"model": resolved, "batch_size": batch_size,
                                                 "role": role, "prompt": prompt},
            batch_size=chunk, num_cpus=actor_cpus, num_gpus=gpus_per_actor,
            # one block at a time per actor: by default Ray queued every block on the first
            # actor to start while the other stayed idle
            compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1))
        for batch in out.iter_batches(batch_size=None, batch_format="numpy"):
            idx = np.asarray(batch["i"], np.int64)
            vec = np.stack(batch["vec"]).astype(np.float32)
            if vectors is None:
                vectors = np.empty((len(unique), vec.shape[1]), np.float32)
            vectors[idx] = vec
            cache.add(keys[idx], vec)
    if stats is not None:
        stats["encoded"] = stats.get("encoded", 0) + len(missing)
        stats["encode_seconds"] = stats.get("encode_seconds", 0.0) + time.perf_counter() - started
    return vectors[inverse]


def ray_blocks(doc_emb: np.ndarray, *, top_n: int, task_cpus: float = ACTOR_CPUS):
    """``run_blocks`` (:mod:`analysis.scoring.search_blocks`) for Ray: every pending query
    block is an ``exact_search`` task reading one shared copy of the corpus embeddings from
    the object store; blocks are yielded as they finish, so each is checkpointed at once."""
    import ray

    doc_ref = ray.put(np.ascontiguousarray(doc_emb, np.float32))
    search = ray.remote(num_cpus=task_cpus)(_search_block)

    def run(tasks):
        refs = {search.remote(queries, doc_ref, top_n, rows, positions): number
                for number, queries, rows, positions in tasks}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            yield refs.pop(ready[0]), ray.get(ready[0])
    return run


def _search_block(queries, docs, top_n, req_q, req_d) -> SearchResult:
    return exact_search(queries, docs, top_n=top_n, requests=(req_q, req_d))


def build_pool_ray(nset, *, corpus=None, corpus_name: str | None = None, model=None,
                   query_prompt: str | None = None, document_prompt: str | None = None,
                   top_n: int = 100, batch_size: int = 32, cache_dir=None,
                   address: str | None = None, actors: int = DEFAULT_ACTORS,
                   actor_cpus: float = ACTOR_CPUS, gpus_per_actor: float = 0.0,
                   search: str = "exact", checkpoint=None, merge_texts: bool = False,
                   progress=None):
    """``build_pool`` on Ray: same rows; ``meta["pool"]`` adds the engine and its measured
    encode rate (``encode_rate``: texts per second over the texts actually encoded). Search
    blocks are checkpointed under ``checkpoint`` (default ``<cache dir>/search``), the same
    blocks as the local engine's, so a build killed on either engine resumes on either."""
    from analysis.scoring.pool import merge_corpus, pool_from_embeddings

    connect(address)
    docs, merged = merge_corpus(nset, corpus, name=corpus_name)
    text_merged = None
    if merge_texts:  # equal texts are one document, as build_pool does (analysis.scoring.dedup)
        from analysis.scoring.dedup import merge_equal_texts
        nset, docs, text_merged = merge_equal_texts(nset, docs)
    stats: dict = {}
    common = dict(batch_size=batch_size, cache_dir=cache_dir, actors=actors,
                  actor_cpus=actor_cpus, gpus_per_actor=gpus_per_actor, stats=stats)
    query_emb = ray_embed(model, nset.queries["text"], role="query", prompt=query_prompt, **common)
    doc_emb = ray_embed(model, docs["text"], role="document", prompt=document_prompt, **common)
    resolved = resolve_model(model)
    settings = {
        "model": DEFAULT_MODEL_NAME if model is None or resolved == default_model_path() else resolved,
        "model_identity": model_identity(resolved),
        "query_prompt": query_prompt, "document_prompt": document_prompt, "top_n": top_n,
        "cross_encoder": None,
        "corpus": corpus_name or ("set documents" if corpus is None else "corpus"),
        "corpus_size": len(docs), "corpus_merged_by_text": merged,
        **({"merged_equal_texts": text_merged} if merge_texts else {}),
        "engine": "ray", "ray_actors": actors, "encoded_texts": stats["encoded"],
        "encode_seconds": round(stats["encode_seconds"], 3),
        "encode_rate": round(stats["encoded"] / stats["encode_seconds"], 2)
        if stats["encoded"] and stats["encode_seconds"] > 0 else None,
    }
    if checkpoint is None:
        checkpoint = Path(cache_dir or default_cache_dir()) / "search"
    return pool_from_embeddings(nset, docs, query_emb, doc_emb, top_n=top_n, progress=progress,
                                settings=settings, checkpoint=checkpoint,
                                search=ray_blocks if search == "exact" else search)

"""Pool engines (issue 20): Ray vs local on Cranfield, exact vs HNSW search on synthetic
embeddings, and an interrupted-then-resumed encode.

    .venv/bin/python benchmarks/pool_engines.py [--docs 100000 --queries 2000]

1. Cranfield (../shared/data/cranfield), top 100, cold embedding cache for each engine:
   local ``build_pool`` vs ``build_pool_ray`` on a local Ray with 2 CPUs and 2 actors (Ray
   start-up excluded, measured separately). Same pool: qid, did, rank equal, scores within 1e-6.
2. Search: ``--queries`` x ``--docs`` seeded normalised float32 embeddings (dim 384): exact
   ``exact_search`` vs ``hnsw_search`` (build + search) wall time, recall@100 of HNSW on all
   queries against the exact top 100, peak RSS (VmHWM) of a child doing only that search.
3. Resume: Cranfield documents encoded with a stop at 50% then resumed, vs one uninterrupted
   encode: total texts encoded. ``--search-resume`` (alone): a checkpointed exact search of
   4,096 x 50,000 synthetic embeddings (dim 64, blocks of 256) stopped at 50% and resumed:
   queries searched in all, and the pool against an uninterrupted build.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
CRANFIELD = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cranfield"


def _vmhwm() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
    return 0


def _data(n_docs, n_queries, dim=384, seed=0):
    rng = np.random.default_rng(seed)
    docs = rng.standard_normal((n_docs, dim), dtype=np.float32)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    queries = rng.standard_normal((n_queries, dim), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return queries, docs


def _search_child(kind, n_docs, n_queries, queue):
    from analysis.scoring.pool import exact_search
    from analysis.scoring.search_hnsw import hnsw_search

    queries, docs = _data(n_docs, n_queries)
    base = _vmhwm()
    start = time.perf_counter()
    if kind == "exact":
        top = exact_search(queries, docs, top_n=100).top_docs
    else:
        top = hnsw_search(queries, docs, top_n=100)[0]
    queue.put({"seconds": time.perf_counter() - start, "peak_rss_mib": _vmhwm() / 2**20,
               "data_rss_mib": base / 2**20, "top": top})


def search_figures(n_docs, n_queries):
    ctx = mp.get_context("spawn")
    out = {}
    for kind in ("exact", "hnsw"):
        queue = ctx.Queue()
        child = ctx.Process(target=_search_child, args=(kind, n_docs, n_queries, queue))
        child.start()
        out[kind] = queue.get()
        child.join()
    exact, approx = out["exact"].pop("top"), out["hnsw"].pop("top")
    recall = np.mean([len(np.intersect1d(a, b)) for a, b in zip(exact, approx)]) / 100
    return {"docs": n_docs, "queries": n_queries, "dim": 384, **{k: v for k, v in out.items()},
            "speedup": out["exact"]["seconds"] / out["hnsw"]["seconds"], "recall_at_100": recall}


def cranfield_figures():
    import ray

    from analysis.formats import load
    from analysis.scoring.encode import load_encoder
    from analysis.scoring.engine_ray import build_pool_ray
    from analysis.scoring.pool import build_pool

    nset = load(CRANFIELD)
    with tempfile.TemporaryDirectory() as local_cache, tempfile.TemporaryDirectory() as ray_cache:
        start = time.perf_counter()
        local = build_pool(nset, model=load_encoder(None), top_n=100, cache_dir=local_cache)
        local_s = time.perf_counter() - start
        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray_start_s = time.perf_counter() - start
        start = time.perf_counter()
        on_ray = build_pool_ray(nset, top_n=100, cache_dir=ray_cache, actors=2)
        ray_s = time.perf_counter() - start
        ray.shutdown()
    a, b = local.pairs, on_ray.pairs
    same = len(a) == len(b) and all(
        a[c].astype(str).tolist() == b[c].astype(str).tolist() for c in ("qid", "did", "rank"))
    diff = float(np.abs(a["score"].to_numpy() - b["score"].to_numpy()).max()) if same else None
    return {"queries": len(nset.queries), "docs": len(nset.docs), "rows": len(a),
            "local_seconds": local_s, "ray_seconds": ray_s, "ray_start_seconds": ray_start_s,
            "ratio": ray_s / local_s, "same_rows": same, "max_score_diff": diff,
            "ray_encode_rate": on_ray.meta["pool"]["encode_rate"]}


def resume_figures():
    from analysis.formats import load
    from analysis.scoring import encode as encode_module
    from analysis.scoring.encode import load_encoder

    texts = list(dict.fromkeys(load(CRANFIELD).docs["text"].astype(str)))
    encode_module.ENCODE_CHUNK = 100

    def stop(done, total, stage):
        if total and done >= total // 2:
            raise KeyboardInterrupt
    with tempfile.TemporaryDirectory() as cache:
        enc = load_encoder(None)
        try:
            enc.embed(texts, cache_dir=cache, progress=stop)
        except KeyboardInterrupt:
            pass
        at_stop = enc.encoded
        enc.embed(texts, cache_dir=cache)
    return {"texts": len(texts), "encoded_before_stop": at_stop,
            "encoded_total_after_resume": enc.encoded, "uninterrupted": len(texts)}


def search_resume_figures(n_docs=50_000, n_queries=4_096, block=256):
    """A checkpointed exact search stopped at 50%, then resumed: queries searched in all,
    wall time of each part, and whether the pool equals an uninterrupted build's."""
    import pandas as pd

    from analysis.model import NegativeSet
    from analysis.scoring import pool as pool_module

    queries, docs = _data(n_docs, n_queries, dim=64)
    qids, dids = [f"q{i}" for i in range(n_queries)], [f"d{i}" for i in range(n_docs)]
    nset = NegativeSet(pd.DataFrame({"qid": qids, "text": qids}),
                       pd.DataFrame({"did": dids[:n_queries], "text": dids[:n_queries]}),
                       pd.DataFrame({"qid": qids, "did": dids[:n_queries], "label": 1,
                                     "source": "qrels", "rank": np.nan, "score": np.nan}),
                       format="synthetic")
    corpus = pd.DataFrame({"did": dids, "text": dids})
    searched = []
    real = pool_module.exact_search

    def counted(q, d, **kw):
        searched.append(len(q))
        return real(q, d, **kw)
    pool_module.exact_search = counted

    def stop(done, total, stage):
        if done >= total // 2:
            raise KeyboardInterrupt

    def build(checkpoint, progress=None):
        return pool_module.pool_from_embeddings(nset, corpus, queries, docs, top_n=100,
                                                checkpoint=checkpoint, block=block,
                                                progress=progress)
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        try:
            build(root, stop)
        except KeyboardInterrupt:
            pass
        stopped_s, at_stop = time.perf_counter() - start, sum(searched)
        start = time.perf_counter()
        resumed = build(root)
        resumed_s, total = time.perf_counter() - start, sum(searched)
    pool_module.exact_search = real
    start = time.perf_counter()
    whole = build(None)
    whole_s = time.perf_counter() - start
    same = resumed.pairs.equals(whole.pairs)
    return {"queries": n_queries, "docs": n_docs, "block": block, "searched_before_stop": at_stop,
            "searched_in_all": total, "stopped_s": stopped_s, "resumed_s": resumed_s,
            "uninterrupted_s": whole_s, "same_pool": same}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--search-resume", action="store_true",
                        help="only: a checkpointed search stopped at 50%% and resumed")
    args = parser.parse_args()
    if args.search_resume:
        print(json.dumps(search_resume_figures(), indent=1))
        return
    figures = {"search": search_figures(args.docs, args.queries)}
    print(json.dumps(figures, indent=1), flush=True)
    figures["resume"] = resume_figures()
    print(json.dumps(figures["resume"], indent=1), flush=True)
    figures["cranfield"] = cranfield_figures()
    print(json.dumps(figures["cranfield"], indent=1), flush=True)


if __name__ == "__main__":
    main()

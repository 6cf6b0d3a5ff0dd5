"""Exact vs HNSW search at scale (issue 20): time, recall@100, peak memory.

    .venv/bin/python benchmarks/hnsw_scale.py --docs 1000000 --queries 20000 --dim 64 \
        --data clustered --m 32 --ef-construction 80 --ef-search 256 --exact-queries 2000

- Data: seeded L2-normalised float32 embeddings. ``uniform``: i.i.d. Gaussian directions,
  the worst case for HNSW (no neighbourhood structure; every document is about as far as
  every other). ``clustered``: ``--clusters`` random centres, each point a centre plus
  Gaussian noise of norm ``--noise`` (then normalised), queries drawn the same way: the
  structure real text embeddings have (topics), with in-cluster cosine about 1/(1+noise^2).
- Exact: ``analysis.scoring.pool.exact_search`` (the default engine) on the first
  ``--exact-queries`` queries; its time is scaled to all queries (the search is chunked per
  query, so its cost is linear in the number of queries) and the scaling is printed.
- HNSW: ``analysis.scoring.search_hnsw.hnsw_search`` on all queries, index build included,
  with the given M, efConstruction, efSearch, threads.
- Recall@100: on the exact-searched queries, the share of the exact top 100 that HNSW returns.
- Peak memory: VmHWM of a spawned child doing one search (data included, reported apart).
- Wall and CPU seconds (``time.process_time``, all threads) of each search: on a shared
  machine the wall time follows the other users' load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _vmhwm() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
    return 0


def make_data(args) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(args.seed)

    def unit(x):
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x

    if args.data == "uniform":
        return (unit(rng.standard_normal((args.queries, args.dim), dtype=np.float32)),
                unit(rng.standard_normal((args.docs, args.dim), dtype=np.float32)))
    centres = unit(rng.standard_normal((args.clusters, args.dim), dtype=np.float32))

    def draw(n):
        out = np.empty((n, args.dim), np.float32)
        for start in range(0, n, 100_000):
            m = min(100_000, n - start)
            noise = rng.standard_normal((m, args.dim), dtype=np.float32)
            noise *= np.float32(args.noise / np.sqrt(args.dim))
            out[start:start + m] = centres[rng.integers(0, args.clusters, m)] + noise
        return unit(out)
    return draw(args.queries), draw(args.docs)


def _child(kind, args, queue):
    from analysis.scoring.pool import exact_search
    from analysis.scoring.search_hnsw import hnsw_search

    queries, docs = make_data(args)
    base = _vmhwm()
    stats: dict = {}
    start, cpu = time.perf_counter(), time.process_time()
    if kind == "exact":
        top = exact_search(queries[:args.exact_queries], docs, top_n=100).top_docs
    else:
        top = hnsw_search(queries, docs, top_n=100, m=args.m, ef_construction=args.ef_construction,
                          ef_search=args.ef_search, threads=args.threads, stats=stats)[0]
    queue.put({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
               **stats,
               "peak_rss_mib": round(_vmhwm() / 2**20), "data_rss_mib": round(base / 2**20),
               "top": top[:args.exact_queries]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--exact-queries", type=int, default=2_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--data", choices=("clustered", "uniform"), default="clustered")
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef-search", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-exact", action="store_true")
    args = parser.parse_args()
    args.exact_queries = min(args.exact_queries, args.queries)
    ctx = mp.get_context("spawn")
    out = {}
    for kind in (("hnsw",) if args.skip_exact else ("exact", "hnsw")):
        queue = ctx.Queue()
        child = ctx.Process(target=_child, args=(kind, args, queue))
        child.start()
        out[kind] = queue.get()
        child.join()
        print(kind, {k: v for k, v in out[kind].items() if k != "top"}, file=sys.stderr, flush=True)
    figures = {k: v for k, v in vars(args).items()}
    figures["hnsw"] = {k: v for k, v in out["hnsw"].items() if k != "top"}
    if "exact" in out:
        exact, approx = out["exact"].pop("top"), out["hnsw"]["top"]
        scale = args.queries / args.exact_queries
        figures["exact"] = {**out["exact"], "seconds_all_queries": out["exact"]["seconds"] * scale,
                            "cpu_seconds_all_queries": out["exact"]["cpu_seconds"] * scale,
                            "scaled_by": scale}
        figures["recall_at_100"] = float(np.mean(
            [len(np.intersect1d(a, b)) for a, b in zip(exact, approx)]) / 100)
        figures["speedup"] = figures["exact"]["seconds_all_queries"] / figures["hnsw"]["seconds"]
        figures["cpu_speedup"] = (figures["exact"]["cpu_seconds_all_queries"]
                                  / figures["hnsw"]["cpu_seconds"])
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()

"""Pool building: speed against sentence-transformers, cached reruns, and memory at scale.

Run from the repository root::

    .venv/bin/python benchmarks/pool_benchmark.py                 # everything
    .venv/bin/python benchmarks/pool_benchmark.py --only synthetic

1. Real data (../shared/data/cranfield, sample_data/; each skipped with a message when absent).
   With one loaded model, on the same corpus and device, in this run:
   - ``mine_hard_negatives`` (sentence-transformers' own, ``range_max=top_n``, 10 negatives,
     ``sampling_strategy="top"``): cold, then again with its ``cache_folder`` filled;
   - ``build_pool`` (top-N over the whole corpus, exact ranks of every labelled pair): cold
     (empty embedding cache), then cached.
   Encoding dominates both cold runs; the cached runs show the search and bookkeeping.
2. Synthetic scale (no encoding): 10,000 queries against a corpus of random normalised
   384-d vectors, top 100 each, fed straight into ``pool_from_embeddings`` in a child process
   that measures its own peak RSS (``resource.getrusage``), before torch is imported. The
   reference is ``sentence_transformers.util.semantic_search`` on the same embeddings, timed
   after ours in the same process.

Figures are printed, never asserted; docs/pools.md records a run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATASETS = {"cranfield": REPO.parent / "shared" / "data" / "cranfield",
            "sample_data": REPO / "sample_data"}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def st_dataset(nset):
    """(anchor, positive) rows, one per labelled positive, as mine_hard_negatives takes them."""
    from datasets import Dataset

    pos = nset.pairs[nset.pairs["label"] == 1]
    q, d = nset.query_text(), nset.doc_text()
    return Dataset.from_dict({"anchor": q[pos["qid"].astype(str)].tolist(),
                              "positive": d[pos["did"].astype(str)].tolist()})


def real_data(name: str, path: Path, *, top_n: int, batch_size: int) -> None:
    from sentence_transformers.util import mine_hard_negatives

    from analysis.formats import load
    from analysis.scoring.encode import load_encoder
    from analysis.scoring.pool import build_pool

    if not path.exists():
        print(f"\n## {name}: skipped, {path} is absent")
        return
    nset = load(path)
    encoder = load_encoder()
    dataset, corpus = st_dataset(nset), nset.docs["text"].tolist()
    print(f"\n## {name}: {len(nset.queries):,} queries, {len(nset.docs):,} documents, "
          f"{nset.num_positives:,} positives; top_n={top_n}, batch_size={batch_size}, "
          f"device={encoder.model.device}, torch threads={_torch_threads()}")

    def st_run(cache_folder):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return mine_hard_negatives(dataset, encoder.model, corpus=corpus, range_max=top_n,
                                       num_negatives=10, sampling_strategy="top",
                                       batch_size=batch_size, verbose=False,
                                       cache_folder=cache_folder)

    with tempfile.TemporaryDirectory() as st_cache, tempfile.TemporaryDirectory() as our_cache:
        st_cold, _ = timed(lambda: st_run(st_cache))
        st_cached, _ = timed(lambda: st_run(st_cache))
        before = encoder.encoded
        our_cold, pool = timed(lambda: build_pool(nset, model=encoder, top_n=top_n,
                                                  batch_size=batch_size, cache_dir=our_cache))
        encoded = encoder.encoded - before
        our_cached, _ = timed(lambda: build_pool(nset, model=encoder, top_n=top_n,
                                                 batch_size=batch_size, cache_dir=our_cache))
        assert encoder.encoded - before == encoded, "the cached run encoded something"
    rows = [("sentence-transformers mine_hard_negatives, cold", st_cold, 1.0),
            ("sentence-transformers mine_hard_negatives, cache_folder", st_cached, st_cached / st_cold),
            ("NegLens build_pool, cold", our_cold, our_cold / st_cold),
            ("NegLens build_pool, cached (0 texts encoded)", our_cached, our_cached / st_cold)]
    print(f"texts encoded cold: {encoded:,}; pool pairs: {len(pool.pairs):,}")
    print(f"{'run':<58} {'seconds':>9} {'x ST cold':>10}")
    for label, seconds, ratio in rows:
        print(f"{label:<58} {seconds:9.2f} {ratio:10.3f}")
    print(f"cached: NegLens / ST cache_folder = {our_cached / st_cached:.3f}")


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def synthetic(args) -> None:
    """Run the scale measurement in a child process, so its peak RSS is its own."""
    cmd = [sys.executable, __file__, "--child-synthetic", "--queries", str(args.queries),
           "--docs", str(args.docs), "--top-n", str(args.top_n)]
    if args.no_reference:
        cmd.append("--no-reference")
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(done.returncode)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    gib = 2**30
    print(f"\n## synthetic: {result['queries']:,} queries x {result['docs']:,} documents "
          f"(dim {result['dim']}), top {result['top_n']}; {result['pool_pairs']:,} pool pairs")
    print(f"peak RSS after creating embeddings and the set: {result['rss_setup'] / gib:.2f} GiB")
    print(f"peak RSS after exact_search:                    {result['rss_search'] / gib:.2f} GiB")
    print(f"peak RSS after pool_from_embeddings:            {result['rss_pool'] / gib:.2f} GiB "
          f"({'under' if result['rss_pool'] < 2 * gib else 'OVER'} 2 GiB)")
    print(f"exact_search alone:          {result['search_s']:8.2f} s")
    print(f"pool_from_embeddings:        {result['pool_s']:8.2f} s")
    if result.get("reference_s"):
        print(f"semantic_search (reference): {result['reference_s']:8.2f} s; "
              f"exact_search / reference = {result['search_s'] / result['reference_s']:.3f}; "
              f"top-{result['top_n']} lists equal for {result['agree']:.4%} of queries")


def child_synthetic(args) -> None:
    from analysis.model import NegativeSet
    from analysis.scoring.pool import exact_search, pool_from_embeddings

    rng = np.random.default_rng(0)
    dim = 384
    q_emb = rng.standard_normal((args.queries, dim), dtype=np.float32)
    q_emb /= np.linalg.norm(q_emb, axis=1, keepdims=True)
    d_emb = rng.standard_normal((args.docs, dim), dtype=np.float32)
    d_emb /= np.linalg.norm(d_emb, axis=1, keepdims=True)
    queries = pd.DataFrame({"qid": [f"q{i}" for i in range(args.queries)],
                            "text": [f"query {i}" for i in range(args.queries)]})
    docs = pd.DataFrame({"did": [f"d{i}" for i in range(args.docs)],
                         "text": [f"document {i}" for i in range(args.docs)]})
    positives = rng.integers(0, args.docs, args.queries)
    nset = NegativeSet(queries, docs, pd.DataFrame({"qid": queries["qid"], "did": docs["did"][positives].values,
                                                    "label": 1, "source": "synthetic"}))
    out = {"queries": args.queries, "docs": args.docs, "dim": dim, "top_n": args.top_n,
           "rss_setup": _peak_rss()}
    search_s, found = timed(lambda: exact_search(q_emb, d_emb, top_n=args.top_n))
    out["rss_search"] = _peak_rss()
    pool_s, pool = timed(lambda: pool_from_embeddings(nset, docs, q_emb, d_emb, top_n=args.top_n))
    out.update(rss_pool=_peak_rss(), search_s=search_s, pool_s=pool_s, pool_pairs=len(pool.pairs))
    if not args.no_reference:
        from sentence_transformers.util import semantic_search

        reference_s, hits = timed(lambda: semantic_search(q_emb, d_emb, top_k=args.top_n))
        theirs = np.array([[h["corpus_id"] for h in row] for row in hits])
        out.update(reference_s=reference_s, agree=float((theirs == found.top_docs).all(axis=1).mean()))
    print(json.dumps(out))


def _peak_rss() -> int:
    """Peak resident set size of this process in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["real", "synthetic"], help="run one part")
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--top-n", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--queries", type=int, default=10_000, help="synthetic queries")
    parser.add_argument("--docs", type=int, default=100_000, help="synthetic corpus size")
    parser.add_argument("--no-reference", action="store_true", help="skip semantic_search")
    parser.add_argument("--child-synthetic", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_synthetic:
        return child_synthetic(args)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(f"# pool benchmark; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.only in (None, "synthetic"):
        synthetic(args)
    if args.only in (None, "real"):
        for name in args.datasets:
            real_data(name, DATASETS[name], top_n=args.top_n, batch_size=args.batch_size)


if __name__ == "__main__":
    main()

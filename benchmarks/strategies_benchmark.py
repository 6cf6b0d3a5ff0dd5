"""Every sampling strategy on a 1,000,000-row pool, against per-query reference implementations.

Run from the repository root::

    .venv/bin/python benchmarks/strategies_benchmark.py                  # 10,000 x 100
    .venv/bin/python benchmarks/strategies_benchmark.py --queries 100000 --pool-size 50 --json

On a synthetic pool (``analysis.scoring.synthetic.make_pool``: realistic cosine-like scores, 50 document
clusters), in one run:

1. every registered strategy with its defaults (plus ``margin`` with ``relative_margin=0.05`` and
   ``cluster_balanced`` on gap bins): best and median of ``--repeats`` timed runs of
   ``strategy.select(pool, rng)``, pool validation and sorting included;
2. references on the same scores, timed the same way:
   - ``simans``: the SimANS release's sampler per query (``random.choices`` with the weights
     until ``num_negatives`` distinct ids, removing the chosen ones between rounds), on
     per-query lists prepared beforehand as the release reads them from its TSV;
   - ``margin``: sentence-transformers' own filtering code (``mine_hard_negatives`` from the
     positive mask to the final ``topk``), ported line for line onto the dense
     (queries x window) score matrix it would hold after retrieval, since the function itself
     cannot take precomputed scores; and a plain per-query Python loop doing the same;
   and checks that both margin references choose exactly what the ``margin`` strategy chooses.

Figures are printed (never asserted); docs/strategies.md records a run.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from analysis.scoring.synthetic import make_pool  # noqa: E402
from analysis.strategies import create, registry  # noqa: E402
from analysis.strategies.view import PoolView  # noqa: E402


def timed(fn, repeats: int):
    """Best CPU seconds, best wall seconds and the last result over ``repeats`` calls.

    CPU time (``time.process_time``) is what the comparisons use: on a shared machine wall time
    also counts the time other processes hold the cores. Everything timed here runs on one
    thread (torch is limited to one), so CPU time is the work done.
    """
    cpu, wall, result = [], [], None
    for _ in range(repeats):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return min(cpu), min(wall), result


# -- SimANS reference -------------------------------------------------------------------------
def simans_inputs(pool):
    """Per query: (s_pos, [(doc code, score), ...]) as the release reads them (outside timing)."""
    view = PoolView.of(pool)
    s_pos = view.positive_score("min")
    dcode = pool.pairs["did"].cat.codes.to_numpy()[view.rows]
    starts = np.flatnonzero(np.r_[True, view.qcode[1:] != view.qcode[:-1]])
    ends = np.r_[starts[1:], len(view.qcode)]
    out = []
    for start, end in zip(starts, ends):
        neg = view.negatives[start:end]
        out.append((float(s_pos[start]), list(zip(dcode[start:end][neg].tolist(),
                                                   view.score[start:end][neg].tolist()))))
    return out


def simans_release(inputs, *, a: float, b: float, k: int, seed: int):
    """The SimANS release's loop (SimANS/utils/*.py), with the README's sign of b."""
    rng = random.Random(seed)
    chosen = []
    for pos_score, neg_pairs in inputs:
        candidates, weights = [], []
        for neg_id, neg_score in neg_pairs:
            candidates.append(neg_id)
            weights.append(math.exp(-(neg_score - pos_score - b) ** 2 * a))
        picked = set()
        while len(picked) < k and candidates:
            picked = picked.union(rng.choices(candidates, weights=weights, k=k))
            kept = [(c, w) for c, w in zip(candidates, weights) if c not in picked]
            candidates, weights = [c for c, _ in kept], [w for _, w in kept]
        chosen.append(list(picked)[:k])
    return chosen


# -- margin references ------------------------------------------------------------------------
def dense_window(pool, window: int):
    """What mine_hard_negatives holds after retrieval: per query the top ``window`` scores and
    corpus indices, plus the positives' indices and scores (outside timing)."""
    import torch

    view = PoolView.of(pool)
    dcode = pool.pairs["did"].cat.codes.to_numpy()[view.rows].astype(np.int64)
    num_q = int(view.qcode.max()) + 1
    position = view.rank.astype(np.int64) - 1
    inside = position < window
    scores = np.full((num_q, window), -np.inf, dtype=np.float32)
    indices = np.full((num_q, window), -1, dtype=np.int64)
    scores[view.qcode[inside], position[inside]] = view.score[inside]
    indices[view.qcode[inside], position[inside]] = dcode[inside]
    positive = ~view.negatives
    n_positives = np.bincount(view.qcode[positive], minlength=num_q).tolist()
    order = np.argsort(view.qcode[positive], kind="stable")
    pos_idx = dcode[positive][order]
    pos_scores = torch.as_tensor(view.score[positive][order])
    bounds = np.r_[0, np.cumsum(n_positives)]
    positive_indices = [torch.as_tensor(pos_idx[bounds[i]:bounds[i + 1]]) for i in range(num_q)]
    return torch.as_tensor(scores), torch.as_tensor(indices), positive_indices, pos_scores, n_positives


def st_margin_port(scores, indices, positive_indices, positive_scores, n_positives, *,
                   relative_margin: float, range_min: int, range_max: int, num_negatives: int):
    """sentence_transformers/util/hard_negatives.py (v6), from ``scores[indices == -1]`` to the
    ``top`` sampling, for a relative margin (the other filters are the same shape)."""
    import torch

    scores = scores.clone()
    n_queries = scores.size(0)
    batch_idx = torch.arange(n_queries).unsqueeze(-1)
    scores[indices == -1] = -float("inf")
    positive_mask = torch.stack([torch.isin(indices[q], positive_indices[q]) for q in range(n_queries)])
    scores[positive_mask] = -float("inf")
    max_positive_scores = torch.empty(n_queries, dtype=positive_scores.dtype)
    positive_score_idx = 0
    for q in range(n_queries):
        max_positive_scores[q] = torch.min(
            positive_scores[positive_score_idx:positive_score_idx + n_positives[q]])
        positive_score_idx += n_positives[q]
    threshold = max_positive_scores - max_positive_scores.abs() * relative_margin
    removed = scores > threshold.repeat(scores.size(1), 1).T
    scores[removed] = -float("inf")
    negative_scores, local = torch.topk(scores, k=range_max, dim=1)
    chosen = indices[batch_idx, local][:, range_min:][:, :num_negatives]
    negative_scores = negative_scores[:, range_min:][:, :num_negatives]
    return [row[finite].tolist() for row, finite in zip(chosen, negative_scores != -float("inf"))]


def margin_per_query(inputs, *, relative_margin: float, range_min: int, range_max: int,
                     num_negatives: int, window: int):
    """The same rule as a plain loop over queries (inputs: (s_pos, [(doc, score, rank), ...]))."""
    chosen = []
    for s_pos, candidates in inputs:
        threshold = s_pos - abs(s_pos) * relative_margin
        alive = [(score, rank, doc) for doc, score, rank in candidates
                 if rank <= window and not score > threshold]
        alive.sort(key=lambda item: (-item[0], item[1]))
        chosen.append([doc for _, _, doc in alive[range_min:range_max][:num_negatives]])
    return chosen


def margin_inputs(pool):
    view = PoolView.of(pool)
    s_pos = view.positive_score("min")
    dcode = pool.pairs["did"].cat.codes.to_numpy()[view.rows]
    starts = np.flatnonzero(np.r_[True, view.qcode[1:] != view.qcode[:-1]])
    ends = np.r_[starts[1:], len(view.qcode)]
    return [(np.float32(s_pos[s]), list(zip(dcode[s:e][view.negatives[s:e]].tolist(),
                                             view.score[s:e][view.negatives[s:e]].tolist(),
                                             view.rank[s:e][view.negatives[s:e]].tolist())))
            for s, e in zip(starts, ends)]


def by_query(pool, selection):
    qcode = pool.pairs["qid"].cat.codes.to_numpy()[selection.rows]
    dcode = pool.pairs["did"].cat.codes.to_numpy()[selection.rows]
    score = pool.pairs["score"].to_numpy()[selection.rows]
    out = [[] for _ in range(len(pool.pairs["qid"].cat.categories))]
    for q, d, s in sorted(zip(qcode.tolist(), dcode.tolist(), (-score).tolist()),
                          key=lambda t: (t[0], t[2])):
        out[q].append(d)
    return out


# -- run ----------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--pool-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reference-repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of all figures")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    pool = make_pool(num_queries=args.queries, pool_size=args.pool_size, seed=0, num_clusters=50)
    build = time.perf_counter() - start
    rows = len(pool.pairs)
    print(f"pool: {args.queries:,} queries x {args.pool_size} candidates = {rows:,} rows "
          f"(make_pool {build:.2f} s)")
    cases = [(name, {}) for name in registry()]
    cases += [("margin", {"relative_margin": 0.05}), ("cluster_balanced", {"balance": "gap"})]
    figures = {"rows": rows, "strategies": {}, "references": {}}
    print(f"\nbest of {args.repeats} runs\n{'strategy':<40} {'cpu ms':>8} {'wall ms':>8} {'selected':>10}")
    for name, params in cases:
        strategy = create(name, **params)
        cpu, wall, selection = timed(lambda: strategy.select(pool, np.random.default_rng(0)),
                                     args.repeats)
        label = name + "".join(f" {k}={v}" for k, v in params.items())
        figures["strategies"][label] = {"cpu_s": cpu, "wall_s": wall, "selected": len(selection)}
        print(f"{label:<40} {cpu * 1e3:>8.1f} {wall * 1e3:>8.1f} {len(selection):>10,}")

    import torch

    torch.set_num_threads(1)
    print(f"\nreferences on the same pool, best of {args.reference_repeats} runs; "
          "ratio = reference cpu / strategy cpu")
    print(f"{'reference':<40} {'cpu s':>8} {'wall s':>8} {'ratio':>8}")

    def show(label, key, cpu, wall, ours, same=None):
        figures["references"][key] = {"cpu_s": cpu, "wall_s": wall, "ratio": cpu / ours,
                                      **({} if same is None else {"identical": same})}
        tail = "" if same is None else f"   same negatives: {'yes' if same else 'NO'}"
        print(f"{label:<40} {cpu:>8.2f} {wall:>8.2f} {cpu / ours:>7.1f}x{tail}")

    simans = create("simans", a=0.5)  # the release loop needs a number: its own default
    inputs = simans_inputs(pool)
    cpu, wall, _ = timed(lambda: simans_release(inputs, a=simans.a, b=simans.b,
                                                k=simans.num_negatives, seed=0),
                         args.reference_repeats)
    show("simans: release per-query loop", "simans release loop", cpu, wall,
         figures["strategies"]["simans"]["cpu_s"])

    margin = create("margin", relative_margin=0.05)
    ours = figures["strategies"]["margin relative_margin=0.05"]["cpu_s"]
    selection = margin.select(pool, np.random.default_rng(0))
    max_pos = int(PoolView.of(pool).positives_per_query.max())
    range_max = margin.effective_range_max(max_pos)
    settings = dict(relative_margin=0.05, range_min=0, range_max=range_max,
                    num_negatives=margin.num_negatives)
    dense = dense_window(pool, range_max + max_pos)
    cpu, wall, st_chosen = timed(lambda: st_margin_port(*dense, **settings), args.reference_repeats)
    show("margin: sentence-transformers code port", "margin sentence-transformers port", cpu, wall,
         ours, st_chosen == by_query(pool, selection))
    loop_inputs = margin_inputs(pool)
    cpu, wall, loop_chosen = timed(lambda: margin_per_query(
        loop_inputs, window=range_max + max_pos, **settings), args.reference_repeats)
    show("margin: plain per-query loop", "margin per-query loop", cpu, wall, ours,
         loop_chosen == by_query(pool, selection))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Verdict to next item at 100k negatives: ``ReviewQueue.answer`` + ``next`` on a synthetic
suspects table, split into ordinary steps and refit steps (every 10th verdict), beside a
reference in the same process (one ``np.argsort`` of the 100k probabilities). The queue starts
importing scikit-learn when it is built; a person takes seconds over the first ten verdicts, so
the run waits ``--think`` seconds (default 1.5) before the first, as the reader of the first item
would. The first refit is also printed on its own.

    python benchmarks/review_latency.py [--negatives 100000] [--steps 60] [--think 1.5]

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from analysis.false_negatives.queue import ReviewQueue

    parser = argparse.ArgumentParser()
    parser.add_argument("--negatives", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--think", type=float, default=1.5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.negatives
    y = rng.random(n) < 0.1
    score = rng.normal(0.5, 0.1, n) + 0.12 * y
    risk = 1 / (1 + np.exp(-(score - 0.75) / 0.03))
    table = pd.DataFrame({"qid": rng.integers(0, n // 100, n).astype(str), "did": np.arange(n).astype(str),
                          "rank": rng.integers(1, 100, n), "score": score, "gap": 0.8 - score,
                          "margin_score": risk, "risk": risk})
    queue = ReviewQueue(table, seed=0)
    time.sleep(args.think)
    plain, refit = [], []
    for _ in range(args.steps):
        row = queue.next()
        start = time.perf_counter()
        before = queue.refits
        queue.answer("false_negative" if y[row] else "true_negative")
        queue.next()
        (refit if queue.refits > before else plain).append(1000 * (time.perf_counter() - start))
    start = time.perf_counter()
    np.argsort(-queue.prob)
    ref = 1000 * (time.perf_counter() - start)
    print(f"{n:,} negatives, {args.steps} verdicts: ordinary step median {np.median(plain):.1f} ms "
          f"(max {np.max(plain):.1f}); refit step median {np.median(refit):.1f} ms "
          f"(max {np.max(refit):.1f}; first {refit[0]:.1f}); reference argsort of {n:,} probabilities {ref:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
